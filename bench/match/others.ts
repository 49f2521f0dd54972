/**
 * The optional parts of bench/match.ts: NIST's bozorth3 on mindtct minutiae (bench/match/nbis.ts,
 * with NBIS_BIN) and the FVC real-print sets (bench/match/fvc.ts, with FVC_DIR). Each is loaded by
 * a dynamic import, so that the bench runs, and says what it skipped and why, where a module, its
 * environment variable or its tools are missing.
 */
import { existsSync } from 'node:fs';
import type { GreyInput } from './worker.ts';

/** bench/match/nbis.ts, as this bench calls it. */
export interface NbisModule {
  findNbis(): unknown | null;
  nbisTemplates(tools: unknown, images: readonly GreyInput[]): Promise<Map<string, string>>;
  bozorth3Scores(
    tools: unknown,
    pairs: readonly (readonly [string, string])[],
    templates: Map<string, string>,
  ): Promise<Float64Array>;
}

export interface FvcImpression {
  readonly finger: number;
  readonly impression: number;
  readonly pixels: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly ppi: number;
}

export interface FvcSet {
  readonly name: string;
  readonly impressions: readonly FvcImpression[];
}

/** bench/match/fvc.ts, as this bench calls it. */
export interface FvcModule {
  loadFvcSets(dir: string): FvcSet[];
}

export type Loaded<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly skipped: string };

async function importOptional(file: string): Promise<Record<string, unknown> | null> {
  const url = new URL(file, import.meta.url);
  if (!existsSync(url)) return null;
  return (await import(url.href)) as Record<string, unknown>;
}

export async function loadNbis(): Promise<Loaded<{ module: NbisModule; tools: unknown }>> {
  const module = await importOptional('./nbis.ts');
  if (!module) return { ok: false, skipped: 'bench/match/nbis.ts is not in this checkout' };
  const api = module as unknown as NbisModule;
  if (typeof api.findNbis !== 'function' || typeof api.bozorth3Scores !== 'function')
    return {
      ok: false,
      skipped: 'bench/match/nbis.ts does not export findNbis / nbisTemplates / bozorth3Scores',
    };
  if (!process.env.NBIS_BIN)
    return { ok: false, skipped: 'NBIS_BIN is not set (the folder holding the built mindtct and bozorth3)' };
  const tools = api.findNbis();
  if (tools === null || tools === undefined)
    return {
      ok: false,
      skipped: `NBIS_BIN=${process.env.NBIS_BIN} does not hold usable mindtct and bozorth3`,
    };
  return { ok: true, value: { module: api, tools } };
}

export async function loadFvc(): Promise<Loaded<FvcSet[]>> {
  const module = await importOptional('./fvc.ts');
  if (!module) return { ok: false, skipped: 'bench/match/fvc.ts is not in this checkout' };
  const api = module as unknown as FvcModule;
  if (typeof api.loadFvcSets !== 'function')
    return { ok: false, skipped: 'bench/match/fvc.ts does not export loadFvcSets' };
  const dir = process.env.FVC_DIR;
  if (!dir) return { ok: false, skipped: 'FVC_DIR is not set (the folder holding the FVC DB*_B sets)' };
  const sets = api.loadFvcSets(dir);
  if (sets.length === 0) return { ok: false, skipped: `FVC_DIR=${dir} holds no FVC set` };
  return { ok: true, value: sets };
}
