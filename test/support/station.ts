/** Helpers to build a station in-process for tests, on simulated parts and loopback only. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildStation, type StationDeps } from '../../station/app.ts';
import type { Clock } from '../../station/clock.ts';
import { type ComposeOptions, composeStation } from '../../station/compose/embedded.ts';
import { parseConfig } from '../../station/config/load.ts';
import type { StationConfig } from '../../station/config/schema.ts';

/** A clock the test moves by hand. */
export class ManualClock implements Clock {
  wall: number;
  mono = 0;
  constructor(wall = Date.UTC(2026, 10, 22, 8, 0, 0)) {
    this.wall = wall;
  }
  now(): number {
    return this.wall;
  }
  monotonic(): number {
    return this.mono;
  }
  advance(ms: number): void {
    this.wall += ms;
    this.mono += ms;
  }
}

export function tempDir(prefix = 'station-test-'): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function testConfig(overrides: Record<string, unknown>, dataDir: string): StationConfig {
  return parseConfig({ log: { level: 'silent' }, ...overrides, dataDir }, { baseDir: dataDir });
}

/** The embedded default (simulated devices, embedded central) in a temp data dir. */
export async function embeddedStation(
  overrides: Record<string, unknown> = {},
  clock: Clock = new ManualClock(),
  extra: Omit<ComposeOptions, 'clock'> & {
    /** Reuse this data folder (a restart); the caller removes it. Default: a fresh temp folder. */
    readonly dataDir?: string;
  } = {},
): Promise<{ app: FastifyInstance; deps: StationDeps; cleanup(): Promise<void> }> {
  const { dataDir, ...compose } = extra;
  const tmp = dataDir === undefined ? tempDir() : { dir: dataDir, remove: () => {} };
  const config = testConfig(overrides, tmp.dir);
  const deps = await composeStation(config, { clock, logger: false, ...compose });
  const app = await buildStation(deps);
  // The simulated card goes into its reader once its fingerprints have rendered (off the event
  // loop, after start): tests begin with the card in, as they always did.
  const reader = deps.cards?.reader;
  if (reader !== undefined && config.devices.cardReader.mode === 'simulated')
    for (let i = 0; i < 600 && !reader.readers().some((r) => r.status === 'card'); i++)
      await new Promise((r) => setTimeout(r, 50));
  return {
    app,
    deps,
    cleanup: async () => {
      await app.close();
      tmp.remove();
    },
  };
}

/**
 * A test seam for the workflows' officer: the `x-test-officer` header names them (a name starting
 * with "sup" is a supervisor, with "not" a notary), and a grant `grant-for-<id>` signs for them.
 * With it, the workflow routes run without station/auth (whose own tests cover the sessions).
 */
export const TEST_OFFICERS: NonNullable<ComposeOptions['officers']> = {
  officerOf: (request) => {
    const id = request.headers['x-test-officer'];
    if (typeof id !== 'string') return undefined;
    const roles = id.startsWith('sup')
      ? ['officer', 'supervisor']
      : id.startsWith('not')
        ? ['notary']
        : ['officer'];
    return { id, roles };
  },
  signingGrant: async (actor, grant) =>
    grant === `grant-for-${actor.officerId}`
      ? { ok: true, method: 'password' }
      : { ok: false, reason: 'not a grant of this officer' },
};
