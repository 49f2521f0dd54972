import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  CHECKOUT_URL,
  RUNNING_FROM_BUILD,
  siblingModule,
  workerStartUrl,
} from '../../../drivers/runtime-url.ts';

describe('runtime-url: siblings in the form that runs', () => {
  it('gives a source module its .ts sibling and a built module its .js sibling, at the same relative place', () => {
    expect(siblingModule('./worker', 'file:///c/station/hotpath/pool.ts').href).toBe(
      'file:///c/station/hotpath/worker.ts',
    );
    expect(siblingModule('./worker', 'file:///c/dist/station/hotpath/pool.js').href).toBe(
      'file:///c/dist/station/hotpath/worker.js',
    );
    expect(siblingModule('../hotpath/worker', 'file:///c/dist/station/qr/pool.js').href).toBe(
      'file:///c/dist/station/hotpath/worker.js',
    );
    // A dot in a folder name is not an extension.
    expect(siblingModule('./main', 'file:///c/v1.2/simulators/central/process.ts').href).toBe(
      'file:///c/v1.2/simulators/central/main.ts',
    );
  });

  it('refuses a stem that already has an extension, and a base without one', () => {
    expect(() => siblingModule('./worker.ts', 'file:///c/station/pool.ts')).toThrow(TypeError);
    expect(() => siblingModule('./worker.js', 'file:///c/dist/station/pool.js')).toThrow(TypeError);
    expect(() => siblingModule('./worker', 'file:///c/station/pool')).toThrow(TypeError);
  });

  it('starts a TypeScript worker through the tsx entry and a JavaScript one directly', () => {
    const entry = new URL('file:///c/station/hotpath/worker-entry.mjs');
    expect(workerStartUrl(new URL('file:///c/station/hotpath/worker.ts'), entry)).toBe(entry);
    const built = new URL('file:///c/dist/station/hotpath/worker.js');
    expect(workerStartUrl(built, entry)).toBe(built);
    const standIn = new URL('file:///tmp/crashing-worker.mjs');
    expect(workerStartUrl(standIn, entry)).toBe(standIn);
  });

  it('under vitest runs from the sources, and finds the checkout whose package.json names the station', () => {
    expect(RUNNING_FROM_BUILD).toBe(false);
    const pkg = fileURLToPath(new URL('package.json', CHECKOUT_URL));
    expect(existsSync(pkg)).toBe(true);
    expect(JSON.parse(readFileSync(pkg, 'utf8')).name).toBe('cccd-station');
    expect(existsSync(fileURLToPath(new URL('drivers/runtime-url.ts', CHECKOUT_URL)))).toBe(true);
  });
});
