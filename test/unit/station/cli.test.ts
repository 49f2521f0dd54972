import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../../station/cli/main.ts';
import { decodeGreyPng } from '../../../station/imaging/grey-image.ts';
import { recordingIo } from '../../support/cli.ts';
import { embeddedStation, tempDir } from '../../support/station.ts';

const capture = recordingIo;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

describe('station CLI', () => {
  it('prints the version', async () => {
    const io = capture();
    expect(await main(['--version'], io)).toBe(0);
    expect(io.out).toBe('0.1.0\n');
  });

  it('prints help for the root, for groups and for each command', async () => {
    let io = capture();
    expect(await main(['--help'], io)).toBe(0);
    expect(io.out).toMatch(/Usage: station <command>/);
    for (const name of ['start', 'health', 'config', 'sim'])
      expect(io.out).toMatch(new RegExp(`\\n  ${name}\\s`));
    io = capture();
    expect(await main(['config', '--help'], io)).toBe(0);
    expect(io.out).toMatch(/check\s+Validate/);
    io = capture();
    expect(await main(['config', 'check', '--help'], io)).toBe(0);
    expect(io.out).toMatch(/^Usage: station config check <file>/);
    io = capture();
    expect(await main(['sim', 'do', '--help'], io)).toBe(0);
    expect(io.out).toMatch(/--data/);
  });

  it('exits 2 with usage on stderr for an unknown command, option or missing argument', async () => {
    let io = capture();
    expect(await main(['frobnicate'], io)).toBe(2);
    expect(io.err).toMatch(/unknown command 'frobnicate'/);
    io = capture();
    expect(await main(['config', 'check'], io)).toBe(2);
    expect(io.err).toMatch(/missing argument/);
    io = capture();
    expect(await main(['config', 'defaults', '--bogus'], io)).toBe(2);
    expect(io.err).toMatch(/Unknown option '--bogus'/);
    expect(io.out).toBe('');
  });

  it('config check prints the effective config as JSON for a good file, and the problems for a bad one', async () => {
    const tmp = tempDir();
    cleanups.push(() => tmp.remove());
    writeFileSync(path.join(tmp.dir, 'good.json'), JSON.stringify({ server: { port: 9000 } }));
    writeFileSync(
      path.join(tmp.dir, 'bad.json'),
      JSON.stringify({ server: { port: -1 }, environment: 'prod' }),
    );

    let io = capture(tmp.dir);
    expect(await main(['config', 'check', 'good.json'], io)).toBe(0);
    const effective = JSON.parse(io.out);
    expect(effective.server).toEqual({ host: '127.0.0.1', port: 9000 });
    expect(effective.dataDir).toBe(path.join(tmp.dir, 'var'));

    io = capture(tmp.dir);
    expect(await main(['config', 'check', 'bad.json'], io)).toBe(1);
    expect(io.out).toBe('');
    expect(io.err).toMatch(/\/server\/port: must be >= 0 \(got -1\)/);
    expect(io.err).toMatch(/\/environment: must be one of: test, production \(got "prod"\)/);
  });

  it('config check of a missing file says to create it from the defaults, and that file checks clean', async () => {
    const tmp = tempDir();
    cleanups.push(() => tmp.remove());
    let io = recordingIo(tmp.dir);
    expect(await main(['config', 'check', 'station.config.json'], io)).toBe(1);
    expect(io.err).toMatch(/does not exist/);
    expect(io.err).toContain('station config defaults > station.config.json');
    io = recordingIo(tmp.dir);
    expect(await main(['config', 'defaults'], io)).toBe(0);
    writeFileSync(path.join(tmp.dir, 'station.config.json'), io.out);
    io = recordingIo(tmp.dir);
    expect(await main(['config', 'check', 'station.config.json'], io)).toBe(0);
    expect(JSON.parse(io.out).dataDir).toBe(path.join(tmp.dir, 'var'));
  });

  it('drives the simulators and reads health of a running station over HTTP', async () => {
    const station = await embeddedStation();
    cleanups.push(station.cleanup);
    await station.app.listen({ host: '127.0.0.1', port: 0 });
    const address = station.app.server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

    let io = capture();
    expect(
      await main(
        ['sim', 'do', 'usb', 'attach', '--data', '{"vendorId":4660,"productId":22136}', '--url', url],
        io,
      ),
    ).toBe(0);
    expect(JSON.parse(io.out).result).toMatchObject({ vendorId: 4660, productId: 22136 });

    io = capture();
    expect(await main(['sim', 'show', 'usb', '--url', url], io)).toBe(0);
    // The simulated HID scanner, and the device attached above.
    expect(JSON.parse(io.out).state.devices).toHaveLength(2);

    io = capture();
    expect(await main(['sim', 'scenario', 'usb', 'nonsense', '--url', url], io)).toBe(1);
    expect(io.err).toMatch(/HTTP 400/);

    io = capture();
    expect(await main(['health', '--url', url], io)).toBe(0);
    expect(JSON.parse(io.out).status).toBe('ok');
  });

  it('says how to fix it when no station is running at the URL', async () => {
    const io = capture();
    expect(await main(['health', '--url', 'http://127.0.0.1:9'], io)).toBe(1);
    expect(io.err).toMatch(/No station answers at http:\/\/127\.0\.0\.1:9 \(from --url\)/);
    expect(io.err).toMatch(/npm start/);
  });

  describe('scanner', () => {
    async function running() {
      const station = await embeddedStation();
      cleanups.push(station.cleanup);
      await station.app.listen({ host: '127.0.0.1', port: 0 });
      const address = station.app.server.address();
      return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    }

    it('lists the scanners of a running station, shows one, and captures a slap to a PNG', async () => {
      const url = await running();
      let io = capture();
      expect(await main(['scanner', 'list', '--url', url], io)).toBe(0);
      const { scanners } = JSON.parse(io.out) as { scanners: { id: string; scanner: { use: string } }[] };
      expect(scanners.map((s) => [s.id, s.scanner.use])).toEqual([
        ['scanner-hid', 'enrollment'],
        ['scanner-serial', 'verification-only'],
      ]);

      io = capture();
      expect(await main(['scanner', 'info', 'scanner-hid', '--url', url], io)).toBe(0);
      expect(JSON.parse(io.out).scanner).toMatchObject({ model: 'SIM-FAP60', fap: 60, ppi: 500 });

      const tmp = tempDir('station-cli-');
      cleanups.push(() => tmp.remove());
      io = capture(tmp.dir);
      expect(
        await main(['scanner', 'capture', '--mode', 'slap-right', '--out', 'right.png', '--url', url], io),
      ).toBe(0);
      const answer = JSON.parse(io.out);
      expect(answer).toMatchObject({ scanner: 'scanner-hid', mode: 'slap-right', width: 1600, height: 1500 });
      expect(answer.attestation.signature).toMatch(/^[0-9a-f]{100,}$/);
      const image = await decodeGreyPng(readFileSync(path.join(tmp.dir, 'right.png')));
      expect([image.width, image.height]).toEqual([1600, 1500]);
    });

    it('reports a device failure with its code and exits 1', async () => {
      const url = await running();
      expect(await main(['sim', 'scenario', 'scanner-hid', 'no-finger', '--url', url], capture())).toBe(0);
      const tmp = tempDir('station-cli-');
      cleanups.push(() => tmp.remove());
      const io = capture(tmp.dir);
      const argv = ['scanner', 'capture', 'scanner-hid', '--mode', 'flat-single', '--out', 'f.png'];
      expect(await main([...argv, '--timeout', '300', '--url', url], io)).toBe(1);
      expect(io.err).toMatch(/HTTP 422 .*DEVICE_REPORTED_ERROR/);
    });

    it('captures standalone, with no station running, from the configured simulated scanner', async () => {
      const tmp = tempDir('station-cli-');
      cleanups.push(() => tmp.remove());
      writeFileSync(
        path.join(tmp.dir, 'station.json'),
        JSON.stringify({ dataDir: 'var', devices: { fingerprintSerial: { mode: 'disabled' } } }),
      );
      const io = capture(tmp.dir);
      const argv = ['scanner', 'capture', '--standalone', '--config', 'station.json'];
      expect(await main([...argv, '--mode', 'flat-single', '--out', 'flat.pgm'], io)).toBe(0);
      expect(JSON.parse(io.out)).toMatchObject({
        scanner: 'scanner-hid',
        format: 'pgm',
        width: 500,
        attested: true,
      });
      expect(readFileSync(path.join(tmp.dir, 'flat.pgm')).subarray(0, 2).toString()).toBe('P5');
    });

    it('refuses a mode it does not know and a file type it cannot write, with usage', async () => {
      let io = capture();
      expect(await main(['scanner', 'capture', '--mode', 'palm', '--out', 'x.png'], io)).toBe(2);
      expect(io.err).toMatch(/--mode must be one of: flat-single/);
      io = capture();
      expect(await main(['scanner', 'capture', '--mode', 'flat-single', '--out', 'x.jpg'], io)).toBe(2);
      expect(io.err).toMatch(/\.png, \.pgm or \.raw/);
    });
  });
});
