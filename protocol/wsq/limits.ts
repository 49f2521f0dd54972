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

/** Smallest width or height we decode, pixels. */
export const MIN_SIDE = 64;
/**
 * Smallest width or height we encode, pixels. NIST's reference decoder (NBIS dwsq) cannot invert
 * its own transform when a side is 80 px or less (its edge handling on 2-sample lines: measured
 * 10-63 grey levels off with no quantization at all), so a file we write that small would look
 * different at a receiver using it. From 81 px up it agrees with ours within one grey level.
 */
export const MIN_ENCODE_SIDE = 81;
/** Largest width or height, pixels (the SOF fields allow 65535). */
export const MAX_SIDE = 8192;
/** Largest width x height, pixels. */
export const MAX_PIXELS = 40_000_000;
