/** `devices.barcode` in the station's configuration: defaults, validation, hardware needs, production. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../station/config/load.ts';
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

/** A production document with every other device off and a remote central service. */
function production(barcode?: Record<string, unknown>) {
  return {
    environment: 'production',
    devices: {
      hotplug: { mode: 'disabled' },
      fingerprintHid: { mode: 'disabled' },
      fingerprintSerial: { mode: 'disabled' },
      cardReader: { mode: 'disabled' },
      ...(barcode === undefined ? {} : { barcode }),
    },
    central: {
      mode: 'remote',
      url: 'https://central.example.test',
      tlsCa: 'ca.pem',
      statementCertificates: 's.pem',
    },
  };
}

describe('devices.barcode', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir('station-barcode-config-');
  });
  afterEach(() => tmp.remove());
  const parse = (document: unknown) => parseConfig(document, { baseDir: tmp.dir });

  it('defaults to a simulated serial scanner in test, with the factory framing', () => {
    expect(parse({}).devices.barcode).toEqual({
      mode: 'simulated',
      kind: 'serial',
      baudRate: 9600,
      terminators: ['CR', 'LF'],
      maxLineBytes: 4096,
      partialLineMs: 500,
      idleEndsLine: false,
      watchMs: 500,
    });
  });

  it('defaults to disabled in production, so a production file written before scanners still starts', () => {
    expect(parse(production()).devices.barcode.mode).toBe('disabled');
  });

  it('refuses an explicit simulated scanner in production, naming the key', () => {
    const { code, problems } = problemsOf(() => parse(production({ mode: 'simulated' })));
    expect(code).toBe('CONFIG_PRODUCTION_UNSAFE');
    expect(problems).toEqual([
      expect.objectContaining({ key: '/devices/barcode/mode', allowed: ['hardware', 'disabled'] }),
    ]);
  });

  it('accepts a hardware serial scanner and a hardware keyboard wedge in production', () => {
    const serial = parse(
      production({ mode: 'hardware', kind: 'serial', path: '/dev/ttyACM0', baudRate: 115200 }),
    );
    expect(serial.devices.barcode).toMatchObject({
      mode: 'hardware',
      path: '/dev/ttyACM0',
      baudRate: 115200,
    });
    const hid = parse(
      production({
        mode: 'hardware',
        kind: 'hid',
        vendorId: 0x05e0,
        productId: 0x1200,
        reportId: 1,
        terminators: ['TAB'],
      }),
    );
    expect(hid.devices.barcode).toMatchObject({
      kind: 'hid',
      vendorId: 0x05e0,
      reportId: 1,
      terminators: ['TAB'],
    });
  });

  it('names what a hardware scanner needs to be found: the serial line, or the wedge ids or path', () => {
    const serial = problemsOf(() => parse({ devices: { barcode: { mode: 'hardware' } } }));
    expect(serial.code).toBe('CONFIG_INVALID');
    expect(serial.problems).toEqual([
      expect.objectContaining({ key: '/devices/barcode/path', message: expect.stringMatching(/ttyACM0/) }),
    ]);
    const hid = problemsOf(() => parse({ devices: { barcode: { mode: 'hardware', kind: 'hid' } } }));
    expect(hid.problems).toEqual([
      expect.objectContaining({ key: '/devices/barcode', message: expect.stringMatching(/vendorId.*path/) }),
    ]);
  });

  it('reports every bad value at once, each with its key and what is allowed', () => {
    const { code, problems } = problemsOf(() =>
      parse({
        devices: {
          barcode: {
            mode: 'hardwired',
            kind: 'usb',
            baudRate: 9601,
            terminators: ['CR', 'CR'],
            maxLineBytes: 10,
            partialLineMs: 0,
            watchMs: 'fast',
            path: 'ttyACM0',
            suffix: 'CR',
          },
        },
      }),
    );
    expect(code).toBe('CONFIG_INVALID');
    const keys = problems.map((p) => p.key);
    for (const key of [
      '/devices/barcode/mode',
      '/devices/barcode/kind',
      '/devices/barcode/baudRate',
      '/devices/barcode/terminators',
      '/devices/barcode/maxLineBytes',
      '/devices/barcode/partialLineMs',
      '/devices/barcode/watchMs',
      '/devices/barcode/path',
    ])
      expect(keys).toContain(key);
    expect(problems.find((p) => p.key === '/devices/barcode/kind')?.allowed).toEqual(['serial', 'hid']);
    expect(problems.find((p) => p.key === '/devices/barcode/baudRate')?.allowed).toContain(9600);
    // The unknown key is named, not silently dropped.
    expect(JSON.stringify(problems)).toContain('suffix');
  });

  it('refuses a terminator that is not CR, LF or TAB, and an empty list', () => {
    expect(
      problemsOf(() => parse({ devices: { barcode: { terminators: ['NUL'] } } })).problems[0]?.key,
    ).toMatch(/^\/devices\/barcode\/terminators/);
    expect(problemsOf(() => parse({ devices: { barcode: { terminators: [] } } })).problems[0]?.key).toBe(
      '/devices/barcode/terminators',
    );
  });
});
