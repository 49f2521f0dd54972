import { describe, expect, it } from 'vitest';
import {
  FACE_FEEDBACK_CODES,
  FACE_FEEDBACK_MESSAGES,
  portraitFeedback,
} from '../../../protocol/face/feedback.ts';
import { computeFaceMeasures } from '../../../protocol/face/measures.ts';
import { renderSyntheticPortrait, type SyntheticPortraitOptions } from '../../../protocol/face/synthetic.ts';

function decide(options: SyntheticPortraitOptions) {
  const { image, faces } = renderSyntheticPortrait(options);
  return portraitFeedback(computeFaceMeasures(image, faces));
}

describe('portrait feedback on synthetic portraits', () => {
  it('accepts a good frontal portrait on a plain background', () => {
    for (const seed of [1, 2, 3]) {
      const d = decide({ seed });
      expect(d.feedback.map((f) => f.code)).toEqual([]);
      expect(d.accepted).toBe(true);
    }
  });

  // Each condition alone yields exactly its own code: no false alarms on the other rules.
  const single: [string, SyntheticPortraitOptions, string][] = [
    ['face too small (far away)', { ied: 40 }, 'FACE_MOVE_CLOSER'],
    ['face too large (too close)', { ied: 200 }, 'FACE_MOVE_BACK'],
    ['face at the left border', { eyeMid: { x: 70, y: 200 } }, 'FACE_NOT_CENTRED'],
    ['head turned (yaw 20)', { pose: { yaw: 20 } }, 'FACE_LOOK_STRAIGHT'],
    ['head turned the other way (yaw -15)', { pose: { yaw: -15 } }, 'FACE_LOOK_STRAIGHT'],
    ['head down (pitch -20)', { pose: { pitch: -20 } }, 'FACE_RAISE_HEAD'],
    ['chin up (pitch 20)', { pose: { pitch: 20 } }, 'FACE_LOWER_HEAD'],
    ['head tilted (roll 15)', { pose: { roll: 15 } }, 'FACE_HEAD_TILTED'],
    ['head tilted the other way (roll -12)', { pose: { roll: -12 } }, 'FACE_HEAD_TILTED'],
    ['dark', { gain: 0.3 }, 'FACE_TOO_DARK'],
    ['overexposed', { gain: 2.5 }, 'FACE_TOO_BRIGHT'],
    ['light from behind', { backlit: true }, 'FACE_BACKLIT'],
    ['light from one side', { sideLight: 0.65 }, 'FACE_UNEVEN_LIGHT'],
    ['blurred', { blur: 3 }, 'FACE_BLURRY'],
    ['eyes closed', { eyesClosed: true }, 'FACE_EYES_CLOSED'],
    ['glasses glare', { glare: true }, 'FACE_GLASSES_GLARE'],
    ['mouth open', { mouthOpen: true }, 'FACE_MOUTH_OPEN'],
    ['cluttered background', { background: 'cluttered' }, 'FACE_BACKGROUND_NOT_PLAIN'],
    // Plain, but dark: not the light background ICAO asks for.
    ['dark plain wall', { backgroundColour: [70, 75, 80] }, 'FACE_BACKGROUND_NOT_PLAIN'],
    // The image-left eye 1.2 IED from the border: the 4-IED token crop would run off the frame.
    ['near the left border', { eyeMid: { x: 45 + 1.2 * 90, y: 480 * 0.42 } }, 'FACE_NOT_CENTRED'],
  ];
  for (const [name, options, code] of single)
    it(`${name}: ${code}`, () => {
      const d = decide(options);
      expect(d.accepted).toBe(false);
      expect(d.feedback.map((f) => f.code)).toEqual([code]);
    });

  it('closed eyes under open-lid landmarks: the pixels decide, unless glare hides the eyes', () => {
    const open = renderSyntheticPortrait({});
    const closed = renderSyntheticPortrait({ eyesClosed: true });
    const codes = portraitFeedback(computeFaceMeasures(closed.image, open.faces)).feedback.map((f) => f.code);
    expect(codes).toEqual(['FACE_EYES_CLOSED']);
    const glare = renderSyntheticPortrait({ glare: true });
    expect(
      portraitFeedback(computeFaceMeasures(glare.image, glare.faces)).feedback.map((f) => f.code),
    ).toEqual(['FACE_GLASSES_GLARE']);
  });

  it('two faces: asks for only one person first', () => {
    const d = decide({ secondFace: { eyeMid: { x: 110, y: 150 }, ied: 50 } });
    expect(d.accepted).toBe(false);
    expect(d.feedback[0]?.code).toBe('FACE_MULTIPLE');
  });

  it('a small face far behind the applicant is not a second person', () => {
    // SingleFacePresent f = sqrt(a2/a1): a face under 1/16 of the main one's area does not count.
    const d = decide({ secondFace: { eyeMid: { x: 80, y: 90 }, ied: 18 } });
    expect(d.feedback.map((f) => f.code)).not.toContain('FACE_MULTIPLE');
  });

  it('no face: FACE_NOT_FOUND alone', () => {
    const { image } = renderSyntheticPortrait();
    const d = portraitFeedback(computeFaceMeasures(image, []));
    expect(d).toEqual({
      accepted: false,
      feedback: [{ code: 'FACE_NOT_FOUND', message: FACE_FEEDBACK_MESSAGES.FACE_NOT_FOUND }],
    });
  });

  it('several problems come in the order to fix them', () => {
    const d = decide({ ied: 40, gain: 0.3, eyesClosed: true, pose: { roll: 15 } });
    const codes = d.feedback.map((f) => f.code);
    expect(codes).toEqual(['FACE_MOVE_CLOSER', 'FACE_HEAD_TILTED', 'FACE_TOO_DARK', 'FACE_EYES_CLOSED']);
    const order = codes.map((c) => FACE_FEEDBACK_CODES.indexOf(c));
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });

  it('every code has a Vietnamese message with diacritics and an English one', () => {
    for (const code of FACE_FEEDBACK_CODES) {
      const m = FACE_FEEDBACK_MESSAGES[code];
      expect(m.vi.length).toBeGreaterThan(10);
      expect(m.en.length).toBeGreaterThan(10);
      // Vietnamese text carries letters outside ASCII (ư, ơ, ă, đ, tones); an unaccented copy would not.
      expect(m.vi).toMatch(/[^\u0020-\u007e]/);
      expect(m.vi).not.toBe(m.en);
    }
    expect(FACE_FEEDBACK_MESSAGES.FACE_MOVE_CLOSER.vi).toContain('tiến lại gần');
    expect(FACE_FEEDBACK_MESSAGES.FACE_LOOK_STRAIGHT.vi).toContain('nhìn thẳng vào máy ảnh');
    expect(FACE_FEEDBACK_MESSAGES.FACE_GLASSES_GLARE.vi).toContain('tháo kính');
    expect(FACE_FEEDBACK_MESSAGES.FACE_BACKGROUND_NOT_PLAIN.vi).toContain('không đồng màu');
  });
});
