/**
 * Both hands drawn (SVG, palms down: the left hand on the left), each finger coloured by its state:
 * captured (with its quality score, 0-100), low quality, declared an exception, or not yet taken.
 * The list beside it says the same in words, for screen readers and for the tests.
 */
import { useShared } from '../../state.ts';
import type { DraftView } from './model.ts';

export type FingerState =
  | { readonly kind: 'missing' }
  | { readonly kind: 'captured'; readonly score: number; readonly low: boolean }
  | { readonly kind: 'exception'; readonly reason: string };

/** Quality below this is shown as low (the approval rule's default threshold). */
export const LOW_SCORE = 40;

export function fingerStates(draft: DraftView): Map<number, FingerState> {
  const states = new Map<number, FingerState>();
  for (let p = 1; p <= 10; p += 1) states.set(p, { kind: 'missing' });
  for (const slap of draft.slaps)
    for (const f of slap.fingers)
      states.set(f.position, { kind: 'captured', score: f.score, low: f.score < LOW_SCORE });
  for (const e of draft.exceptions) states.set(e.position, { kind: 'exception', reason: e.reason });
  return states;
}

/** Where each finger is drawn: x, y of its tip end, its length, and a tilt (thumbs), in SVG units. */
const LAYOUT: Readonly<Record<number, { x: number; h: number; tilt: number }>> = {
  10: { x: 30, h: 70, tilt: 0 },
  9: { x: 68, h: 95, tilt: 0 },
  8: { x: 106, h: 105, tilt: 0 },
  7: { x: 144, h: 92, tilt: 0 },
  6: { x: 196, h: 70, tilt: 35 },
  1: { x: 284, h: 70, tilt: -35 },
  2: { x: 336, h: 92, tilt: 0 },
  3: { x: 374, h: 105, tilt: 0 },
  4: { x: 412, h: 95, tilt: 0 },
  5: { x: 450, h: 70, tilt: 0 },
};

const PALM_TOP = 140;
const FINGER_W = 32;

export function HandsDrawing({ states, label }: { states: Map<number, FingerState>; label: string }) {
  return (
    <svg class="enr-hands" viewBox="0 0 520 270" role="img" aria-label={label}>
      <rect class="enr-palm" x={20} y={PALM_TOP - 5} width={166} height={120} rx={34} />
      <rect class="enr-palm" x={330} y={PALM_TOP - 5} width={166} height={120} rx={34} />
      {Object.entries(LAYOUT).map(([key, place]) => {
        const position = Number(key);
        const state = states.get(position) ?? { kind: 'missing' };
        const thumb = place.tilt !== 0;
        const y = thumb ? PALM_TOP + 30 : PALM_TOP - place.h + 12;
        const cx = place.x + FINGER_W / 2;
        const cls =
          state.kind === 'captured'
            ? state.low
              ? 'enr-finger enr-finger-low'
              : 'enr-finger enr-finger-ok'
            : state.kind === 'exception'
              ? 'enr-finger enr-finger-exception'
              : 'enr-finger';
        return (
          <g
            key={key}
            data-finger={position}
            data-state={state.kind}
            transform={thumb ? `rotate(${place.tilt} ${cx} ${y + place.h})` : undefined}
          >
            <rect class={cls} x={place.x} y={y} width={FINGER_W} height={place.h} rx={15} />
            <text class="enr-finger-label" x={cx} y={y + 28} text-anchor="middle">
              {state.kind === 'captured' ? state.score : state.kind === 'exception' ? '✕' : position}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

/** The fingers in words: name, state, score; each with its own controls (`action`). */
export function FingerList({
  states,
  action,
}: {
  states: Map<number, FingerState>;
  action?: (position: number, state: FingerState) => preact.ComponentChildren;
}) {
  const { t } = useShared();
  return (
    <ul class="enr-fingers">
      {[...states].map(([position, state]) => (
        <li
          key={position}
          data-finger={position}
          data-state={state.kind}
          class={`enr-finger-row enr-finger-row-${state.kind}`}
        >
          <span class="enr-finger-name">
            {t(`enr.finger.${position}` as `enr.finger.${1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10}`)}
          </span>
          <span>
            {state.kind === 'captured'
              ? t(state.low ? 'enr.finger.low' : 'enr.finger.captured', { score: state.score })
              : state.kind === 'exception'
                ? t('enr.finger.exception', { reason: t(`enr.reason.${state.reason as 'amputated'}`) })
                : t('enr.finger.missing')}
          </span>
          {action?.(position, state)}
        </li>
      ))}
    </ul>
  );
}
