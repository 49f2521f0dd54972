/**
 * The station's EAC terminal credentials from the configuration (hardware mode): loaded at start
 * from the folder `station sim card --export-trust` writes, loaded again when the folder changes
 * (a renewed terminal certificate), and an unreadable folder refused at start.
 */
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CccdCardSimulator } from '../../../simulators/card/cccd-card-sim.ts';
import { composeCardReader } from '../../../station/compose/cards.ts';
import { parseConfig } from '../../../station/config/load.ts';
import { ConfigError } from '../../../station/errors.ts';
import { tempDir } from '../../support/station.ts';

const tmp = tempDir('compose-terminal-');
afterAll(() => tmp.remove());

describe('devices.cardReader.terminal', () => {
  it('loads the credentials at start, reloads them when the folder changes, and says why when they go', async () => {
    const sim = await CccdCardSimulator.create();
    const eac = await sim.exportTrust(path.join(tmp.dir, 'trust'));
    const config = parseConfig(
      {
        devices: {
          cardReader: { mode: 'hardware', trustStore: 'trust', terminal: path.relative(tmp.dir, eac) },
        },
      },
      { baseDir: tmp.dir },
    );
    expect(config.devices.cardReader.terminal).toBe(eac);
    const lines: string[] = [];
    const parts = await composeCardReader(config, { log: (line) => lines.push(line) });
    try {
      expect(lines.some((l) => l.startsWith(`EAC credentials ${eac}: `))).toBe(true);
      const first = await parts.terminal?.();
      // The certificates the simulator hands out (CVCAs with the link, DV, terminal), read from files.
      const chrs = (c: { certificates: readonly { chr: string }[] } | undefined) =>
        (c?.certificates ?? []).map((x) => x.chr).sort();
      expect(chrs(first)).toEqual(chrs(sim.terminalCredentials()));
      expect(chrs(first)).toHaveLength(4);
      // Unchanged folder: the same credentials, not loaded again.
      expect(await parts.terminal?.()).toBe(first);

      // The key goes (a botched renewal): the next read goes without TA, and the log says why.
      rmSync(path.join(eac, 'terminal.key'));
      writeFileSync(path.join(eac, 'note.txt'), 'renewal in progress');
      expect(await parts.terminal?.()).toBeUndefined();
      expect(lines.at(-1)).toMatch(/changed and cannot be loaded .*reads go without TA/);

      // Put right again (the simulator's folder written anew): loaded on the next read.
      await sim.exportTrust(path.join(tmp.dir, 'trust'));
      writeFileSync(path.join(eac, 'note2.txt'), 'done');
      expect((await parts.terminal?.())?.certificates.length).toBe(first?.certificates.length);
    } finally {
      await parts.close();
    }
  }, 60_000);

  it('refuses to start on a folder it cannot read', async () => {
    const config = parseConfig(
      { devices: { cardReader: { mode: 'hardware', trustStore: '.', terminal: 'no-such-folder' } } },
      { baseDir: tmp.dir },
    );
    const error = await composeCardReader(config).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems?.[0]?.key).toBe('/devices/cardReader/terminal');
  });
});
