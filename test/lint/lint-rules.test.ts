/**
 * The lint configuration's own test: the architectural import rules fail on violations and allow the
 * native adapters. Runs the project's Biome on a scratch tree with the project's biome.json.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/station.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIOME = path.join(ROOT, 'node_modules/.bin/biome');

interface Diagnostic {
  category: string;
  location: { path: string };
}

let tmp: ReturnType<typeof tempDir>;
let diagnostics: Diagnostic[];

const files: Record<string, string> = {
  'drivers/fingerprint/native-hid.ts': "import HID from 'node-hid';\n\nexport const hid = HID;\n",
  'drivers/fingerprint/driver.ts': "import HID from 'node-hid';\n\nexport const hid = HID;\n",
  'drivers/smartcard/reader.ts': "import pcsc from 'pcsclite';\n\nexport const p = pcsc;\n",
  'station/devices.ts': "import { usb } from 'usb';\n\nexport const u = usb;\n",
  'station/serial.ts': "import { SerialPort } from 'serialport';\n\nexport const s = SerialPort;\n",
  'station/uses-sim.ts': "import { sim } from '../simulators/fake.ts';\n\nexport const s = sim;\n",
  'station/compose/root.ts': "import { sim } from '../../simulators/fake.ts';\n\nexport const s = sim;\n",
  'protocol/impure.ts':
    "import { createHash } from 'node:crypto';\n\nexport const h = createHash;\nexport const b = Buffer.alloc(1);\n",
  'protocol/reaches-out.ts': "import { x } from '../drivers/x.ts';\n\nexport const y = x;\n",
  'station/any.ts': 'export function f(x: any): number {\n  return x;\n}\n',
  'test/focused.test.ts': "import { it } from 'vitest';\n\nit.only('x', () => {});\n",
  'station/floating.ts':
    'async function work(): Promise<number> {\n  return 1;\n}\n\nexport function start(): void {\n  work();\n}\n',
  'station/keys/native-pkcs11.ts': "import * as pkcs11 from 'pkcs11js';\n\nexport const p = pkcs11;\n",
  'station/keys/store.ts': "import * as pkcs11 from 'pkcs11js';\n\nexport const p = pkcs11;\n",
  'station/clean.ts': "import { readFileSync } from 'node:fs';\n\nexport const r = readFileSync;\n",
};

beforeAll(() => {
  tmp = tempDir('station-lint-');
  copyFileSync(path.join(ROOT, 'biome.json'), path.join(tmp.dir, 'biome.json'));
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(tmp.dir, file)), { recursive: true });
    writeFileSync(path.join(tmp.dir, file), content);
  }
  let output: string;
  try {
    output = execFileSync(BIOME, ['lint', '--vcs-enabled=false', '--reporter=json', '.'], {
      cwd: tmp.dir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    output = String((error as { stdout?: string }).stdout ?? '');
  }
  diagnostics = (JSON.parse(output) as { diagnostics: Diagnostic[] }).diagnostics;
});
afterAll(() => tmp.remove());

function rulesAt(file: string): string[] {
  return diagnostics.filter((d) => d.location.path === file).map((d) => d.category.replace(/^lint\//, ''));
}

describe('lint rules', () => {
  it('allows device packages in drivers/**/native-*.ts only', () => {
    expect(rulesAt('drivers/fingerprint/native-hid.ts')).toEqual([]);
    expect(rulesAt('drivers/fingerprint/driver.ts')).toEqual(['style/noRestrictedImports']);
    expect(rulesAt('drivers/smartcard/reader.ts')).toEqual(['style/noRestrictedImports']);
    expect(rulesAt('station/devices.ts')).toEqual(['style/noRestrictedImports']);
    expect(rulesAt('station/serial.ts')).toEqual(['style/noRestrictedImports']);
  });

  it('allows the PKCS#11 binding in its one adapter only', () => {
    expect(rulesAt('station/keys/native-pkcs11.ts')).toEqual([]);
    expect(rulesAt('station/keys/store.ts')).toEqual(['style/noRestrictedImports']);
  });

  it('keeps simulators out of production code except the composition root', () => {
    expect(rulesAt('station/uses-sim.ts')).toEqual(['style/noRestrictedImports']);
    expect(rulesAt('station/compose/root.ts')).toEqual([]);
  });

  it('keeps protocol/ pure: no Node built-ins, no Buffer, nothing of ours outside it', () => {
    expect(rulesAt('protocol/impure.ts').sort()).toEqual([
      'style/noRestrictedGlobals',
      'style/noRestrictedImports',
    ]);
    expect(rulesAt('protocol/reaches-out.ts')).toEqual(['style/noRestrictedImports']);
  });

  it('rejects any, focused tests and floating promises', () => {
    expect(rulesAt('station/any.ts')).toEqual(['suspicious/noExplicitAny']);
    expect(rulesAt('test/focused.test.ts')).toEqual(['suspicious/noFocusedTests']);
    expect(rulesAt('station/floating.ts')).toEqual(['nursery/noFloatingPromises']);
  });

  it('passes clean code', () => {
    expect(rulesAt('station/clean.ts')).toEqual([]);
  });
});
