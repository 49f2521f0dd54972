/**
 * Image sizes the quality measures accept.
 *
 * NFIQ 2 is defined for 500 ppi single-finger plain impressions. After its near-white frame is
 * trimmed, NIST refuses prints wider than 800 or taller than 1000 px (FingerJet FX's limits;
 * `nfiq2_fingerprintimagedata.cpp`), and so do we: a slap or a 1000 ppi image is not a single
 * 500 ppi finger. The smallest side is one 36 px local-region window (32 px block plus the 2 px the
 * rotated FDA/LCS/RVUP window needs a side); below that no local measure exists.
 *
 * Memory is bounded by the trimmed print: under 30 bytes per pixel of working buffers, so about
 * 24 MB for 800 x 1000 (plus extractMinutiae's own when it runs). The untrimmed input is only read
 * (one sum per row and column).
 */

/** Smallest input side, and smallest side after the white frame is trimmed, px. */
export const MIN_SIDE = 36;
/** Largest input side, px (what the station's image decoders accept). */
export const MAX_INPUT_SIDE = 4000;
/** Largest trimmed width, px (NFIQ2 fingerJetMaxWidth). */
export const MAX_PRINT_WIDTH = 800;
/** Largest trimmed height, px (NFIQ2 fingerJetMaxHeight). */
export const MAX_PRINT_HEIGHT = 1000;
