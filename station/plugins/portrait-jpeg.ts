/**
 * A chip portrait (DG2: JPEG, or JPEG 2000 on most chips) as a JPEG a browser shows, for the
 * notary's and the e-ID officer's screens.
 */
import { sniffImageKind } from '../imaging/sniff.ts';

/**
 * DG2's image as JPEG: a JPEG as it is, anything else decoded (JPEG 2000 through OpenJPEG, loaded on
 * first use) and encoded again. Resolves undefined when the bytes do not decode; never rejects for them.
 */
export async function portraitAsJpeg(bytes: Uint8Array): Promise<Uint8Array | undefined> {
  if (sniffImageKind(bytes) === 'jpeg') return bytes;
  const { decodeAnyPortrait } = await import('../imaging/jpeg2000.ts');
  const decoded = await decodeAnyPortrait(bytes);
  if (!decoded.ok) return undefined;
  const { encodeJpeg } = await import('../imaging/sharp-images.ts');
  return encodeJpeg(decoded.value, { quality: 90 });
}
