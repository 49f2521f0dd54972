/**
 * Record specs for tests and benchmarks that build ANSI/NIST transactions: a 500 ppi WSQ finger or
 * slap (Type-14) and a frontal JPEG portrait (Type-10), with the usual values filled in and any of
 * them overridable. One place, so a test states only what it is about.
 */
import type { Type10Spec, Type14Spec } from '../../protocol/ansi-nist/builder.ts';

/** A Type-14 at 500 ppi, WSQ; a slap (FGP 13-15) is 1600 x 1500, a finger 500 x 500. */
export function type14Spec(
  idc: number,
  fgp: number,
  data: Uint8Array,
  extra: Partial<Type14Spec> = {},
): Type14Spec {
  return {
    type: 14,
    idc,
    imp: 0,
    src: 'ORI000000',
    fcd: '20260314',
    hll: fgp >= 13 ? 1600 : 500,
    vll: fgp >= 13 ? 1500 : 500,
    slc: 1,
    thps: 500,
    tvps: 500,
    cga: 'WSQ20',
    bpx: 8,
    fgp,
    data,
    ...extra,
  };
}

/** A Type-10 frontal portrait, 600 x 800 JPEG at 300 ppi. */
export function portraitSpec(idc: number, data: Uint8Array, extra: Partial<Type10Spec> = {}): Type10Spec {
  return {
    type: 10,
    idc,
    imt: 'FACE',
    src: 'ORI000000',
    phd: '20260314',
    hll: 600,
    vll: 800,
    slc: 1,
    thps: 300,
    tvps: 300,
    cga: 'JPEGB',
    csp: 'YCC',
    sap: 0,
    pos: 'F',
    data,
    ...extra,
  };
}
