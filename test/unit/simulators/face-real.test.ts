import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  listRealPeople,
  RealFacesError,
  realFaceFrame,
  realPersonFor,
  realPhotosFor,
} from '../../../simulators/face/real-faces.ts';
import { fixture } from '../../support/fixtures.ts';

const FACES = path.dirname(fixture('faces/obama__obama.jpg'));

describe('real faces for identity tests', () => {
  it('finds the six people of the shared fixtures by file-name prefix', () => {
    const people = listRealPeople(FACES);
    expect(people.map((p) => p.name)).toEqual([
      'alex_lacamoire',
      'biden',
      'kit_harington',
      'lin_manuel_miranda',
      'obama',
      'rose_leslie',
    ]);
    const obama = people.find((p) => p.name === 'obama');
    expect(obama?.photos.length).toBeGreaterThanOrEqual(2);
    for (const photo of obama?.photos ?? []) expect(path.basename(photo).startsWith('obama__')).toBe(true);
  });

  it('maps a seed onto the same person every time, and seeds onto every person', () => {
    const people = listRealPeople(FACES);
    expect(realPersonFor('079201001234', people)).toBe(realPersonFor('079201001234', people));
    const reached = new Set<string>();
    for (let i = 0; i < 200; i++) reached.add(realPersonFor(String(100000000000 + i), people).name);
    expect(reached.size).toBe(people.length);
  });

  it("gives a seed's chip photo and a different live photo of the same person", () => {
    const seed = ['1', '2', '3', '4', '5', '6', '7', '8'].find(
      (s) => (realPersonFor(s, listRealPeople(FACES)).photos.length ?? 0) >= 2,
    );
    if (!seed) throw new Error('no seed maps onto a person with two photographs');
    const photos = realPhotosFor(seed, FACES);
    expect(photos.dg2.subarray(0, 2)).toEqual(Uint8Array.of(0xff, 0xd8));
    expect(Buffer.compare(Buffer.from(photos.dg2), Buffer.from(photos.live))).not.toBe(0);
  });

  it('puts the live photo into a camera frame of the requested size', async () => {
    const jpeg = await realFaceFrame('079201001234', FACES, { width: 640, height: 480 });
    const meta = await sharp(jpeg).metadata();
    expect([meta.format, meta.width, meta.height, meta.channels]).toEqual(['jpeg', 640, 480, 3]);
  });

  it('fails with a typed error, naming the directory, when the photographs are not there', () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'faces-'));
    try {
      writeFileSync(path.join(empty, 'notes.txt'), 'no photographs');
      expect(() => listRealPeople(empty)).toThrow(RealFacesError);
      expect(() => listRealPeople(path.join(empty, 'missing'))).toThrow(/face fixtures not found/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
