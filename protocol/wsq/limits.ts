/**
 * Image sizes this codec accepts, shared by the encoder (argument checks) and the decoder (SOF
 * checks before any image-sized allocation).
 *
 * The smallest side is 64 pixels: the five-level split then leaves the lowest subbands 2 x 2
 * samples, every split line at least 2 samples long (which the symmetric extension needs), and
 * every subband enough samples for the variance estimate. WSQ is meant for 500 ppi fingerprints of
 * 256 pixels and more (NBIS MIN_IMG_DIM), so nothing real is turned away.
 *
 * The largest is bounded by memory: decoding holds one float per pixel plus the output bytes
 * (5 bytes per pixel; about 200 MB at the pixel limit). A 1600 x 1500 slap is 2.4 MP.
 */

/** Smallest width or height, pixels. */
export const MIN_SIDE = 64;
/** Largest width or height, pixels (the SOF fields allow 65535). */
export const MAX_SIDE = 8192;
/** Largest width x height, pixels. */
export const MAX_PIXELS = 40_000_000;
