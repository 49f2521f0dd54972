/**
 * Test mode for identity (issue 19): a procedural face says nothing about identity, so where a test
 * needs "same person" and "different person" to mean something, person seeds are mapped onto the real
 * people of the shared face fixtures. The photographs are read at run time from a directory the
 * caller passes (the repository never holds a copy); a file `<person>__<photo>.jpg` belongs to
 * `<person>`. "Different person" is meaningful only between different `person` names.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { seedNumber } from './person.ts';

export interface RealPerson {
  /** The file-name prefix before "__", e.g. `obama`. */
  readonly name: string;
  /** Absolute paths of the person's photographs, sorted by file name. */
  readonly photos: readonly string[];
}

/** The fixture directory is missing, unreadable or holds no `<person>__<photo>.jpg` file. */
export class RealFacesError extends Error {
  override readonly name = 'RealFacesError';
  readonly code = 'REAL_FACES_NOT_FOUND';
  readonly directory: string;
  constructor(directory: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.directory = directory;
  }
}

/**
 * The people in `directory`, sorted by name.
 * @throws {RealFacesError} when the directory is missing or holds no face photographs.
 */
export function listRealPeople(directory: string): RealPerson[] {
  if (!existsSync(directory))
    throw new RealFacesError(
      directory,
      `face fixtures not found at ${directory}: put the shared fixtures beside the repository`,
    );
  const byName = new Map<string, string[]>();
  for (const file of readdirSync(directory).sort()) {
    const match = /^(.+?)__.+\.(jpe?g|png)$/i.exec(file);
    if (!match?.[1]) continue;
    const list = byName.get(match[1]) ?? [];
    list.push(path.join(directory, file));
    byName.set(match[1], list);
  }
  if (byName.size === 0)
    throw new RealFacesError(directory, `no <person>__<photo>.jpg files in ${directory}`);
  return [...byName.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([name, photos]) => ({ name, photos }));
}

/** The real person a seed stands for: the same seed always gives the same person of `people`. */
export function realPersonFor(personSeed: string, people: readonly RealPerson[]): RealPerson {
  const person = people[seedNumber(`real:${personSeed}`) % people.length];
  if (!person) throw new RangeError('realPersonFor needs at least one person');
  return person;
}

export interface RealPhotos {
  readonly person: string;
  /** The photograph the card's chip carries (the person's first photo), JPEG or PNG bytes. */
  readonly dg2: Uint8Array;
  /** Another photograph of the same person for the live camera (the first again when there is one). */
  readonly live: Uint8Array;
}

/**
 * The chip and live photographs of the real person for `personSeed`.
 * @throws {RealFacesError} when the directory is missing or empty.
 */
export function realPhotosFor(personSeed: string, directory: string): RealPhotos {
  const person = realPersonFor(personSeed, listRealPeople(directory));
  const [first, second] = person.photos;
  if (!first) throw new RealFacesError(directory, `${person.name} has no photograph`);
  const dg2 = new Uint8Array(readFileSync(first));
  return { person: person.name, dg2, live: second ? new Uint8Array(readFileSync(second)) : dg2 };
}

/**
 * A camera frame showing the real person's live photograph, scaled to fit `width` x `height` on a grey
 * surround, as JPEG (sharp).
 * @throws {RealFacesError} when the directory is missing or empty.
 */
export async function realFaceFrame(
  personSeed: string,
  directory: string,
  size: { readonly width: number; readonly height: number; readonly quality?: number },
): Promise<Uint8Array> {
  const { live } = realPhotosFor(personSeed, directory);
  const buffer = await sharp(live)
    .rotate()
    .resize(size.width, size.height, { fit: 'contain', background: { r: 200, g: 200, b: 200 } })
    .removeAlpha()
    .jpeg({ quality: size.quality ?? 80 })
    .toBuffer();
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}
