import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, MAX_CONFIG_BYTES, parseConfig, readConfigFile } from '../../../station/config/load.ts';
import { ConfigError } from '../../../station/errors.ts';
import { tempDir } from '../../support/station.ts';

function problemsOf(fn: () => unknown): {
  code: string;
  problems: { key: string; message: string; allowed?: unknown }[];
} {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return { code: error.code, problems: [...error.problems] };
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir('station-config-');
  });
  afterEach(() => tmp.remove());

  const write = (name: string, content: unknown) => {
    const file = path.join(tmp.dir, name);
    writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
    return file;
  };

  it('fills every default from an empty document: the embedded simulated test station', () => {
    const config = parseConfig({}, { baseDir: tmp.dir });
    expect(config).toEqual({
      environment: 'test',
      stationId: 'dev-station-01',
      server: { host: '127.0.0.1', port: 8080 },
      dataDir: path.join(tmp.dir, 'var'),
      log: { level: 'info' },
      devices: {
        hotplug: { mode: 'simulated' },
        fingerprintHid: { mode: 'simulated', reportSize: 1024 },
        fingerprintSerial: { mode: 'simulated', baudRate: 57600, address: 0xffffffff, password: 0 },
        cardReader: { mode: 'simulated', timeoutMs: 5000 },
        camera: {
          mode: 'simulated',
          width: 640,
          height: 480,
          fps: 30,
          personSeed: '001099012345',
          scenario: 'good',
        },
        barcode: {
          mode: 'simulated',
          kind: 'serial',
          baudRate: 9600,
          terminators: ['CR', 'LF'],
          maxLineBytes: 4096,
          partialLineMs: 500,
          idleEndsLine: false,
          watchMs: 500,
        },
      },
      central: { mode: 'embedded', timeoutMs: 2000 },
      simulators: { routes: true },
      hotpath: { workers: 0, hardLimitMs: 30000 },
      uploader: {
        concurrency: 2,
        chunkSizeBytes: 262144,
        bandwidthLimitBytesPerSecond: 0,
        backoff: { initialMs: 1000, maxMs: 300000 },
      },
      outbox: { retentionDays: 30, reserveMiB: 2048, maxWaiting: 5000, maxDaysOffline: 7 },
      auth: {
        required: false,
        idleLockMinutes: 10,
        sessionHours: 12,
        maxFailures: 10,
        lockoutMinutes: 15,
        allowedHosts: [],
      },
      enrollment: {
        maxAttempts: 3,
        idleWipeMinutes: 120,
        approval: { onExceptions: true, belowScore: 40, onCorrection: true },
        receipt: { workingDays: 7, holidays: [], keepHours: 24 },
      },
    });
  });

  it('accepts a complete valid file and resolves dataDir against the file', () => {
    mkdirSync(path.join(tmp.dir, 'etc'));
    const file = write('etc/station.json', {
      environment: 'test',
      stationId: 'HN-BADINH-07',
      server: { host: '0.0.0.0', port: 9090 },
      dataDir: '../data',
      log: { level: 'warn' },
      devices: { hotplug: { mode: 'disabled' } },
      central: {
        mode: 'remote',
        url: 'https://central.example.test/api',
        timeoutMs: 5000,
        tlsCa: 'central-ca.pem',
        statementCertificates: 'central-statements.pem',
      },
      simulators: { routes: false },
    });
    const config = readConfigFile(file);
    expect(config.stationId).toBe('HN-BADINH-07');
    expect(config.server).toEqual({ host: '0.0.0.0', port: 9090 });
    expect(config.dataDir).toBe(path.join(tmp.dir, 'data'));
    expect(config.central).toEqual({
      mode: 'remote',
      url: 'https://central.example.test/api',
      timeoutMs: 5000,
      // Relative to the config file's folder, like dataDir.
      tlsCa: path.join(tmp.dir, 'etc', 'central-ca.pem'),
      statementCertificates: path.join(tmp.dir, 'etc', 'central-statements.pem'),
    });
    expect(config.simulators.routes).toBe(false);
  });

  it('reports a missing file as CONFIG_UNREADABLE naming the file', () => {
    const missing = path.join(tmp.dir, 'nope.json');
    const { code, problems } = problemsOf(() => readConfigFile(missing));
    expect(code).toBe('CONFIG_UNREADABLE');
    expect(problems[0]?.message).toMatch(/does not exist/);
    expect(() => readConfigFile(missing)).toThrow(missing);
  });

  it('reports malformed JSON as CONFIG_NOT_JSON', () => {
    const file = write('bad.json', '{ "environment": "test", }');
    expect(problemsOf(() => readConfigFile(file)).code).toBe('CONFIG_NOT_JSON');
  });

  it('refuses a file above the size bound before parsing it', () => {
    const file = write('huge.json', `{"stationId":"${'x'.repeat(MAX_CONFIG_BYTES)}"}`);
    const { code, problems } = problemsOf(() => readConfigFile(file));
    expect(code).toBe('CONFIG_UNREADABLE');
    expect(problems[0]?.message).toMatch(/at most 1048576 bytes/);
  });

  it('names a wrong type with the key and the value given', () => {
    const { code, problems } = problemsOf(() =>
      parseConfig({ server: { port: '8080' } }, { baseDir: tmp.dir }),
    );
    expect(code).toBe('CONFIG_INVALID');
    expect(problems).toEqual([{ key: '/server/port', message: 'must be integer (got "8080")' }]);
  });

  it('names an unknown key and lists the keys allowed there', () => {
    const { problems } = problemsOf(() => parseConfig({ server: { prot: 80 } }, { baseDir: tmp.dir }));
    expect(problems).toEqual([
      {
        key: '/server/prot',
        message: 'unknown key; allowed keys here: host, port, tls',
        allowed: ['host', 'port', 'tls'],
      },
    ]);
  });

  it("keeps the simulated scanner's finger delay and bounds it", () => {
    const config = parseConfig(
      { devices: { fingerprintHid: { simulatedFingerDelayMs: 1500 } } },
      { baseDir: tmp.dir },
    );
    expect(config.devices.fingerprintHid).toEqual({
      mode: 'simulated',
      reportSize: 1024,
      simulatedFingerDelayMs: 1500,
    });
    const { problems } = problemsOf(() =>
      parseConfig({ devices: { fingerprintHid: { simulatedFingerDelayMs: 20_000 } } }, { baseDir: tmp.dir }),
    );
    expect(problems[0]?.key).toBe('/devices/fingerprintHid/simulatedFingerDelayMs');
  });

  it('lists the allowed values of an enumerated key', () => {
    const { problems } = problemsOf(() =>
      parseConfig({ environment: 'staging', devices: { hotplug: { mode: 'fake' } } }, { baseDir: tmp.dir }),
    );
    expect(problems).toContainEqual({
      key: '/environment',
      message: 'must be one of: test, production (got "staging")',
      allowed: ['test', 'production'],
    });
    expect(problems).toContainEqual(
      expect.objectContaining({
        key: '/devices/hotplug/mode',
        allowed: ['simulated', 'hardware', 'disabled'],
      }),
    );
  });

  it('reports every problem at once, not only the first', () => {
    const { problems } = problemsOf(() =>
      parseConfig(
        { server: { port: 70000 }, stationId: 'no spaces', log: { level: 'loud' }, extra: 1 },
        { baseDir: tmp.dir },
      ),
    );
    expect(problems.map((p) => p.key).sort()).toEqual(['/extra', '/log/level', '/server/port', '/stationId']);
  });

  it('requires central.url, its TLS CA and its statement certificates when central.mode is remote', () => {
    const { problems } = problemsOf(() => parseConfig({ central: { mode: 'remote' } }, { baseDir: tmp.dir }));
    expect(problems.map((p) => p.key).sort()).toEqual([
      '/central/statementCertificates',
      '/central/tlsCa',
      '/central/url',
    ]);
  });

  it('refuses a plain http:// central URL in remote mode: uploads go over mutual TLS only', () => {
    const { problems } = problemsOf(() =>
      parseConfig(
        {
          central: {
            mode: 'remote',
            url: 'http://central.example.test',
            tlsCa: 'a.pem',
            statementCertificates: 'b.pem',
          },
        },
        { baseDir: tmp.dir },
      ),
    );
    expect(problems.map((p) => p.key)).toEqual(['/central/url']);
  });

  it('rejects a document that is not an object', () => {
    expect(problemsOf(() => parseConfig([1, 2], { baseDir: tmp.dir })).problems[0]?.message).toMatch(
      /JSON object/,
    );
  });

  describe('production', () => {
    it('refuses the defaults, naming each unsafe setting', () => {
      const { code, problems } = problemsOf(() =>
        parseConfig({ environment: 'production' }, { baseDir: tmp.dir }),
      );
      expect(code).toBe('CONFIG_PRODUCTION_UNSAFE');
      expect(problems.map((p) => p.key)).toEqual([
        '/devices/hotplug/mode',
        '/devices/fingerprintHid/mode',
        '/devices/fingerprintSerial/mode',
        '/devices/cardReader/mode',
        '/central/mode',
      ]);
    });

    it('refuses simulator routes switched on explicitly', () => {
      const { problems } = problemsOf(() =>
        parseConfig(
          {
            environment: 'production',
            devices: {
              hotplug: { mode: 'hardware' },
              fingerprintHid: { mode: 'disabled' },
              fingerprintSerial: { mode: 'disabled' },
              cardReader: { mode: 'disabled' },
            },
            central: {
              mode: 'remote',
              url: 'https://central.example.test',
              tlsCa: 'ca.pem',
              statementCertificates: 's.pem',
            },
            simulators: { routes: true },
          },
          { baseDir: tmp.dir },
        ),
      );
      expect(problems.map((p) => p.key)).toEqual(['/simulators/routes']);
    });

    it('accepts hardware devices with a remote central service, routes off by default', () => {
      const config = parseConfig(
        {
          environment: 'production',
          devices: {
            hotplug: { mode: 'hardware' },
            fingerprintHid: {
              mode: 'hardware',
              vendorId: 0x1d6b,
              productId: 0x0f60,
              trustAnchors: 'etc/scanner-cas.pem',
            },
            fingerprintSerial: { mode: 'hardware', path: '/dev/ttyUSB0', baudRate: 115200 },
            cardReader: { mode: 'hardware', trustStore: 'etc/csca' },
          },
          central: {
            mode: 'remote',
            url: 'https://central.example.test',
            tlsCa: 'ca.pem',
            statementCertificates: 's.pem',
          },
        },
        { baseDir: tmp.dir },
      );
      expect(config.simulators.routes).toBe(false);
      expect(config.devices.cardReader.trustStore).toBe(path.join(tmp.dir, 'etc/csca'));
      // Relative to the config file's folder, like dataDir.
      expect(config.devices.fingerprintHid.trustAnchors).toBe(path.join(tmp.dir, 'etc/scanner-cas.pem'));
      expect(config.devices.fingerprintSerial).toMatchObject({ baudRate: 115200, address: 0xffffffff });
    });

    it('names what hardware needs: how to find the scanner, its trust anchors, the serial line, the CSCA store', () => {
      const { code, problems } = problemsOf(() =>
        parseConfig(
          {
            devices: {
              fingerprintHid: { mode: 'hardware' },
              fingerprintSerial: { mode: 'hardware' },
              cardReader: { mode: 'hardware' },
            },
          },
          { baseDir: tmp.dir },
        ),
      );
      expect(code).toBe('CONFIG_INVALID');
      expect(problems.map((p) => p.key)).toEqual([
        '/devices/fingerprintHid',
        '/devices/fingerprintHid/trustAnchors',
        '/devices/cardReader/trustStore',
        '/devices/fingerprintSerial/path',
      ]);
    });

    it('refuses a serial speed the module family cannot run at', () => {
      const { problems } = problemsOf(() =>
        parseConfig({ devices: { fingerprintSerial: { baudRate: 56000 } } }, { baseDir: tmp.dir }),
      );
      expect(problems[0]?.key).toBe('/devices/fingerprintSerial/baudRate');
      expect(problems[0]?.allowed).toContain(57600);
    });
  });

  describe('which file is loaded', () => {
    it('uses STATION_CONFIG when set', () => {
      const file = write('custom.json', { stationId: 'from-env' });
      expect(loadConfig({ STATION_CONFIG: file }, tmp.dir)).toMatchObject({
        file,
        config: { stationId: 'from-env' },
      });
    });

    it('fails when STATION_CONFIG names a missing file rather than silently using defaults', () => {
      expect(problemsOf(() => loadConfig({ STATION_CONFIG: 'missing.json' }, tmp.dir)).code).toBe(
        'CONFIG_UNREADABLE',
      );
    });

    it('falls back to station.config.json in the working directory, then to defaults', () => {
      expect(loadConfig({}, tmp.dir)).toMatchObject({
        file: undefined,
        config: { stationId: 'dev-station-01' },
      });
      write('station.config.json', { stationId: 'from-cwd' });
      expect(loadConfig({}, tmp.dir).config.stationId).toBe('from-cwd');
    });
  });
});
