/**
 * `station segment --in slap.png --hand right --out-dir d/`: cuts a four-finger slap or a two-thumb
 * image into single fingers, writes one upright crop per finger (named by finger position), and
 * prints the boxes, rotations, positions and the expected-count and wrong-hand checks as JSON.
 */
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { type Hand, segmentSlap } from '../../../protocol/fingerprint/segment.ts';
import {
  decodeGreyPng,
  decodePgm,
  formatOf,
  ImageFileError,
  writeGreyImage,
} from '../../imaging/grey-image.ts';
import { type Command, EXIT_FAILED, EXIT_OK, json, parse, UsageError } from '../command.ts';

const HANDS: readonly Hand[] = ['right', 'left', 'thumbs'];
/** A 4000 x 4000 PGM is 16 MB; nothing larger is read. */
const MAX_INPUT_BYTES = 32 * 1024 * 1024;

export const segmentCommand: Command = {
  name: 'segment',
  summary: 'Cut a slap or two-thumb image into single fingers',
  help: `Usage: station segment --in SLAP.png|.pgm --hand right|left|thumbs --out-dir DIR [--missing P ...]

  --in FILE        8-bit grey PNG or PGM at 500 ppi (a FAP 60 slap is 1600x1500)
  --hand H         right (positions 2-5), left (7-10) or thumbs (1 and 6)
  --missing P      a finger position declared absent (amputated, bandaged); repeatable
  --out-dir DIR    where the crops go, as finger-<position>.png

Prints JSON: each finger's position, box, rotation and crop file; missing and unexpected positions;
extra finger-like regions; and a wrong-hand warning when the geometry says the other hand.
Exit 1, with "problem" in the JSON and its message on stderr, when no finger is found
(SEGMENT_NO_FINGER) or the image holds four fingers where thumbs were asked for, or two thumbs
where a hand was (SEGMENT_HAND_MISMATCH).`,
  async run(args, io) {
    const { values } = parse(
      args,
      {
        in: { type: 'string' },
        hand: { type: 'string' },
        missing: { type: 'string', multiple: true },
        'out-dir': { type: 'string' },
      },
      { min: 0, max: 0 },
    );
    if (values.in === undefined) throw new UsageError('--in is required');
    if (values['out-dir'] === undefined) throw new UsageError('--out-dir is required');
    const hand = values.hand as Hand | undefined;
    if (hand === undefined || !HANDS.includes(hand))
      throw new UsageError(`--hand must be one of: ${HANDS.join(', ')}; got '${values.hand ?? ''}'`);
    const missing = (values.missing ?? []).map((text) => {
      if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 10)
        throw new UsageError(`--missing takes a finger position 1-10, got '${text}'`);
      return Number(text);
    });
    let format: string;
    try {
      format = formatOf(values.in);
    } catch (error) {
      throw new UsageError(error instanceof Error ? error.message : String(error));
    }
    if (format === 'raw') throw new UsageError('--in must be a .png or .pgm file (a raw file has no size)');
    const file = path.resolve(io.cwd, values.in);
    try {
      if (statSync(file).size > MAX_INPUT_BYTES) {
        io.stderr(`${file} is larger than ${MAX_INPUT_BYTES} bytes; not read\n`);
        return EXIT_FAILED;
      }
      const bytes = new Uint8Array(readFileSync(file));
      const image = format === 'png' ? await decodeGreyPng(bytes) : decodePgm(bytes);
      let result: ReturnType<typeof segmentSlap>;
      try {
        result = segmentSlap(image, { hand, missing });
      } catch (error) {
        // Only impossible options throw (a missing position that is not on this hand).
        if (error instanceof RangeError) throw new UsageError(error.message);
        throw error;
      }
      if (!result.ok) {
        io.stderr(`cannot segment ${file}: ${result.error.detail} [${result.error.reason}]\n`);
        return EXIT_FAILED;
      }
      const outDir = path.resolve(io.cwd, values['out-dir']);
      mkdirSync(outDir, { recursive: true });
      const { fingers, ...checks } = result.value;
      const written = [];
      for (const { crop, cropFrame: _frame, ...finger } of fingers) {
        const out = path.join(outDir, `finger-${finger.position}.png`);
        await writeGreyImage(out, crop, 500);
        written.push({ ...finger, crop: { file: out, width: crop.width, height: crop.height } });
      }
      io.stdout(json({ file, width: image.width, height: image.height, ...checks, fingers: written }));
      if (checks.problem !== undefined) {
        io.stderr(`${checks.problem.message.vi}\n${checks.problem.message.en} [${checks.problem.code}]\n`);
        return EXIT_FAILED;
      }
      return EXIT_OK;
    } catch (error) {
      if (error instanceof ImageFileError) {
        io.stderr(`${file}: ${error.message} [${error.code}]\n`);
        return EXIT_FAILED;
      }
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        io.stderr(`${file}: no such file\n`);
        return EXIT_FAILED;
      }
      throw error;
    }
  },
};
