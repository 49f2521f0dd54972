/**
 * The shared reference data (NIST and ICAO files) lives outside this repository, beside it:
 * `../shared/fixtures/` from the repository root. CCCD_FIXTURES points elsewhere.
 * A missing fixture fails the test with the path it looked for; tests never skip on it.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));

export const FIXTURES_DIR = process.env.CCCD_FIXTURES ?? path.resolve(root, '..', 'shared', 'fixtures');

/** Absolute path of a shared fixture, e.g. `fixture('wsq/nistFinger_500x500.raw')`. */
export function fixture(relative: string): string {
  const file = path.join(FIXTURES_DIR, relative);
  if (!existsSync(file))
    throw new Error(
      `fixture ${file} not found: put the shared fixtures beside the repository or set CCCD_FIXTURES`,
    );
  return file;
}

export function readFixture(relative: string): Uint8Array {
  return new Uint8Array(readFileSync(fixture(relative)));
}

/** Small reference files kept in the repository (test/fixtures/, provenance in its README.md). */
export const REPO_FIXTURES_DIR = path.resolve(root, 'test', 'fixtures');

export function readRepoFixture(relative: string): Uint8Array {
  return new Uint8Array(readFileSync(path.join(REPO_FIXTURES_DIR, relative)));
}

/** The shared reference notes and vectors, beside the fixtures (`../shared/reference/`). */
export const REFERENCE_DIR = process.env.CCCD_REFERENCE ?? path.resolve(FIXTURES_DIR, '..', 'reference');

/** Parsed JSON from the shared reference folder, e.g. `readReferenceJson('icao9303-vectors.json')`. */
export function readReferenceJson(relative: string): unknown {
  const file = path.join(REFERENCE_DIR, relative);
  if (!existsSync(file))
    throw new Error(
      `reference file ${file} not found: put the shared folder beside the repository or set CCCD_REFERENCE`,
    );
  return JSON.parse(readFileSync(file, 'utf8'));
}

/**
 * NIST's expected NFIQ 2 output for an SFinGe fixture (`nfiq2/<name>_output.txt`), as printed:
 * `name -> text` (six significant digits; `Number()` it for arithmetic).
 */
export function readNistQualityOutput(name: string): Map<string, string> {
  const text = new TextDecoder().decode(readFixture(`nfiq2/${name}_output.txt`));
  return new Map(
    text
      .trim()
      .split('\n')
      .map((line) => {
        const at = line.indexOf(': ');
        return [line.slice(0, at), line.slice(at + 2).trim()] as const;
      }),
  );
}
