/**
 * The optional parts of bench/match.ts: NIST's bozorth3 on mindtct minutiae (bench/match/nbis.ts,
 * with NBIS_BIN) and the FVC real-print sets (bench/match/fvc.ts, with FVC_DIR). Each is skipped,
 * with the reason printed and written to the results, when its environment variable or its files are
 * missing; our matcher then runs alone on the generator set.
 */
import { type FvcSet, loadFvcSets } from './fvc.ts';
import { findNbis, type NbisTools } from './nbis.ts';

export type Loaded<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly skipped: string };

export function loadNbis(): Loaded<NbisTools> {
  if (!process.env.NBIS_BIN)
    return { ok: false, skipped: 'NBIS_BIN is not set (the folder holding the built mindtct and bozorth3)' };
  const tools = findNbis();
  if (tools === null)
    return {
      ok: false,
      skipped: `NBIS_BIN=${process.env.NBIS_BIN} does not hold executable mindtct and bozorth3`,
    };
  return { ok: true, value: tools };
}

/**
 * The FVC sets under FVC_DIR, resampled to 500 ppi (so both matchers see the same pixels, at the
 * resolution bozorth3's pixel tolerances are tuned for); FVC_SETS=a,b limits them to those folders.
 */
export async function loadFvc(): Promise<Loaded<FvcSet[]>> {
  const dir = process.env.FVC_DIR;
  if (!dir)
    return { ok: false, skipped: 'FVC_DIR is not set (the folder holding the FVC DB*_B set folders)' };
  const only = process.env.FVC_SETS?.split(',').filter((s) => s !== '');
  try {
    const sets = await loadFvcSets(dir, { resampleToPpi: 500, ...(only ? { only } : {}) });
    return sets.length === 0
      ? { ok: false, skipped: `FVC_DIR=${dir} holds no FVC set` }
      : { ok: true, value: sets };
  } catch (error) {
    return {
      ok: false,
      skipped: `FVC_DIR=${dir}: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}
