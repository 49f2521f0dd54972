import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../../station/cli/command.ts';
import { main } from '../../../station/cli/main.ts';
import { normaliseStationUrl, resolveStationUrl } from '../../../station/cli/station-url.ts';
import { recordingIo } from '../../support/cli.ts';
import { embeddedStation, tempDir } from '../../support/station.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function listening(): Promise<number> {
  const station = await embeddedStation();
  cleanups.push(station.cleanup);
  await station.app.listen({ host: '127.0.0.1', port: 0 });
  const address = station.app.server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  return address.port;
}

/** A loopback port nothing listens on (fetch refuses "bad ports" such as 9 before connecting). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  return address.port;
}

function folder(): string {
  const tmp = tempDir();
  cleanups.push(() => tmp.remove());
  return tmp.dir;
}

describe('client commands find the running station', () => {
  it('from station.config.json in the working directory, as npm start does', async () => {
    const port = await listening();
    const dir = folder();
    writeFileSync(path.join(dir, 'station.config.json'), JSON.stringify({ server: { port } }));
    const io = recordingIo(dir);
    expect(await main(['health'], io)).toBe(0);
    expect(JSON.parse(io.out).status).toBe('ok');
  });

  it('from the file named by STATION_CONFIG, with a wildcard listen address turned into loopback', async () => {
    const port = await listening();
    const dir = folder();
    const file = path.join(dir, 'elsewhere.json');
    writeFileSync(file, JSON.stringify({ server: { host: '0.0.0.0', port } }));
    const io = recordingIo(folder(), { STATION_CONFIG: file });
    expect(await main(['sim', 'list'], io)).toBe(0);
    expect(JSON.parse(io.out).simulators.length).toBeGreaterThan(0);
  });

  it('for the scanner commands too, and their failure names --standalone', async () => {
    const port = await listening();
    const dir = folder();
    writeFileSync(path.join(dir, 'station.config.json'), JSON.stringify({ server: { port } }));
    let io = recordingIo(dir);
    expect(await main(['scanner', 'list'], io)).toBe(0);
    expect(JSON.parse(io.out).scanners.map((s: { id: string }) => s.id)).toContain('scanner-hid');
    io = recordingIo(folder());
    expect(await main(['scanner', 'list', '--url', `127.0.0.1:${await closedPort()}`], io)).toBe(1);
    expect(io.err).toMatch(/No station answers at .*\(from --url\)[\s\S]*--standalone/);
  });

  it('from STATION_URL, which wins over the configuration file', async () => {
    const port = await listening();
    const dir = folder();
    writeFileSync(path.join(dir, 'station.config.json'), JSON.stringify({ server: { port: 9 } }));
    const io = recordingIo(dir, { STATION_URL: `127.0.0.1:${port}/` });
    expect(await main(['sim', 'show', 'usb'], io)).toBe(0);
    expect(JSON.parse(io.out).name).toBe('usb');
  });

  it("from the checkout's station.config.json when the working directory has none, as npm start runs there", () => {
    const checkout = folder();
    writeFileSync(path.join(checkout, 'station.config.json'), JSON.stringify({ server: { port: 8181 } }));
    const elsewhere = folder();
    const found = resolveStationUrl(undefined, {}, elsewhere, checkout);
    expect(found.base).toBe('http://127.0.0.1:8181');
    expect(found.source).toBe(`configuration file ${path.join(checkout, 'station.config.json')}`);
    // A file in the working directory is the one `station start` there would read: it wins.
    writeFileSync(path.join(elsewhere, 'station.config.json'), JSON.stringify({ server: { port: 8282 } }));
    expect(resolveStationUrl(undefined, {}, elsewhere, checkout).base).toBe('http://127.0.0.1:8282');
  });

  it('accepts --url without a scheme and with trailing slashes', async () => {
    const port = await listening();
    for (const url of [`127.0.0.1:${port}`, `http://127.0.0.1:${port}/`, `localhost:${port}//`]) {
      const io = recordingIo(folder());
      expect(await main(['health', '--url', url], io), url).toBe(0);
      expect(JSON.parse(io.out).status).toBe('ok');
    }
  });

  it('says where it looked and what to do when nothing answers', async () => {
    const port = await closedPort();
    const dir = folder();
    writeFileSync(path.join(dir, 'station.config.json'), JSON.stringify({ server: { port } }));
    const io = recordingIo(dir);
    expect(await main(['health'], io)).toBe(1);
    expect(io.err).toContain(`No station answers at http://127.0.0.1:${port} (from configuration file`);
    expect(io.err).toContain('station.config.json');
    expect(io.err).toMatch(/connection refused/);
    expect(io.err).toMatch(/--url or STATION_URL/);
    expect(io.out).toBe('');
  });

  it('refuses a malformed URL and an unreadable configuration file as a usage problem', async () => {
    let io = recordingIo(folder());
    expect(await main(['health', '--url', 'ftp://host:21'], io)).toBe(2);
    expect(io.err).toMatch(/--url 'ftp:\/\/host:21' must be an http/);
    const dir = folder();
    writeFileSync(path.join(dir, 'station.config.json'), '{ not json');
    io = recordingIo(dir);
    expect(await main(['health'], io)).toBe(2);
    expect(io.err).toMatch(/cannot tell where the station listens/);
    expect(io.err).toMatch(/not valid JSON/);
  });

  it('normalises addresses the way people type them', () => {
    expect(normaliseStationUrl('host:8080', 'x')).toBe('http://host:8080');
    expect(normaliseStationUrl(' https://host:8443/station/ ', 'x')).toBe('https://host:8443/station');
    expect(normaliseStationUrl('[::1]:8080', 'x')).toBe('http://[::1]:8080');
    expect(() => normaliseStationUrl('http://host:8080/?a=1', 'x')).toThrow(UsageError);
    expect(() => normaliseStationUrl('http://', 'x')).toThrow(UsageError);
    expect(resolveStationUrl(undefined, {}, folder(), folder())).toEqual({
      base: 'http://127.0.0.1:8080',
      source: 'defaults',
    });
  });
});

describe('repeated options', () => {
  it('refuses a single-value option given twice instead of keeping the last', async () => {
    const io = recordingIo(folder());
    expect(await main(['health', '--url', 'http://127.0.0.1:9', '--url', 'http://127.0.0.1:10'], io)).toBe(2);
    expect(io.err).toMatch(/--url was given more than once/);
    const wsq = recordingIo(folder());
    expect(await main(['wsq', 'encode', '--in', 'a.png', '--in', 'b.png', '--out', 'c.wsq'], wsq)).toBe(2);
    expect(wsq.err).toMatch(/--in was given more than once/);
  });
});

describe('sim scenario', () => {
  it('says when a card scenario applies, and --now puts a fresh card of it in at once', async () => {
    const port = await listening();
    const url = `127.0.0.1:${port}`;
    let io = recordingIo(folder());
    expect(await main(['sim', 'scenario', 'card', 'expired-card', '--url', url], io)).toBe(0);
    expect(JSON.parse(io.out)).toMatchObject({ scenario: 'expired-card', appliesFrom: 'next-insertion' });
    io = recordingIo(folder());
    expect(await main(['sim', 'scenario', 'card', 'cloned-chip', '--now', '--url', url], io)).toBe(0);
    expect(JSON.parse(io.out)).toMatchObject({ scenario: 'cloned-chip', appliesFrom: 'now' });
    io = recordingIo(folder());
    expect(await main(['sim', 'do', 'card', 'reinsert', '--url', url], io)).toBe(0);
    expect(JSON.parse(io.out)).toMatchObject({ name: 'card', action: 'reinsert' });
  });
});
