/**
 * npm run gallery: renders the contact sheets shown in docs/fingerprint-generator.md into
 * docs/img/. Deterministic: re-running it rewrites the same bytes, so a diff in docs/img/ means the
 * generator's output changed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { downscaleBox } from '../protocol/image/downscale.ts';
import {
  CONDITIONS,
  FINGERPRINT_CLASSES,
  renderFinger,
  renderSlap,
} from '../simulators/fingerprint/generator.ts';
import { encodeGreyPng, type GreyImage } from '../station/imaging/grey-image.ts';

const OUT = new URL('../docs/img/', import.meta.url);

/** Tiles laid out row by row, `columns` wide, separated by a 4 px white gutter. */
function sheet(tiles: readonly GreyImage[], columns: number): GreyImage {
  const gutter = 4;
  const tileW = Math.max(...tiles.map((t) => t.width));
  const tileH = Math.max(...tiles.map((t) => t.height));
  const rows = Math.ceil(tiles.length / columns);
  const width = columns * tileW + (columns + 1) * gutter;
  const height = rows * tileH + (rows + 1) * gutter;
  const pixels = new Uint8Array(width * height).fill(255);
  tiles.forEach((tile, i) => {
    const ox = gutter + (i % columns) * (tileW + gutter);
    const oy = gutter + Math.floor(i / columns) * (tileH + gutter);
    for (let y = 0; y < tile.height; y++)
      pixels.set(tile.pixels.subarray(y * tile.width, (y + 1) * tile.width), (oy + y) * width + ox);
  });
  return { width, height, pixels };
}

async function write(name: string, image: GreyImage): Promise<void> {
  const bytes = await encodeGreyPng(image);
  writeFileSync(new URL(name, OUT), bytes);
  console.log(`docs/img/${name}  ${image.width}x${image.height}  ${Math.round(bytes.length / 1024)} KiB`);
}

mkdirSync(OUT, { recursive: true });

// Full resolution: three fingers as a scanner delivers them, to judge ridges, pores and minutiae.
await write(
  'gallery-full.png',
  sheet(
    [
      renderFinger({ personSeed: 7, finger: 3 }).image,
      renderFinger({ personSeed: 12, finger: 7, fingerClass: 'whorl' }).image,
      renderFinger({ personSeed: 3, finger: 1, fingerClass: 'arch' }).image,
    ],
    3,
  ),
);

// Classes at half size: one finger per class, same person.
await write(
  'gallery-classes.png',
  sheet(
    FINGERPRINT_CLASSES.map((fingerClass) =>
      downscaleBox(renderFinger({ personSeed: 31, finger: 2, fingerClass }).image, 2),
    ),
    4,
  ),
);

// Conditions at half size: the same finger under every condition.
await write(
  'gallery-conditions.png',
  sheet(
    CONDITIONS.map((condition) =>
      downscaleBox(renderFinger({ personSeed: 44, finger: 3, condition, impression: 5 }).image, 2),
    ),
    4,
  ),
);

// Identity: four impressions of one finger, then the same position of four other people.
await write(
  'gallery-identity.png',
  sheet(
    [
      ...[1, 2, 3, 4].map((impression) =>
        downscaleBox(renderFinger({ personSeed: 55, finger: 2, impression }).image, 2),
      ),
      ...[56, 57, 58, 59].map((personSeed) => downscaleBox(renderFinger({ personSeed, finger: 2 }).image, 2)),
    ],
    4,
  ),
);

// Slaps at quarter size: right, left, thumbs; then a missing finger, an extra finger, the wrong hand.
await write(
  'gallery-slaps.png',
  sheet(
    [
      renderSlap({ personSeed: 61, hand: 'right' }),
      renderSlap({ personSeed: 61, hand: 'left' }),
      renderSlap({ personSeed: 61, hand: 'thumbs' }),
      renderSlap({ personSeed: 62, hand: 'right', missing: [4] }),
      renderSlap({ personSeed: 62, hand: 'left', extraFinger: true }),
      renderSlap({ personSeed: 62, hand: 'right', wrongHand: true }),
    ].map((slap) => downscaleBox(slap.image, 4)),
    3,
  ),
);
