/**
 * The portrait: the camera's live picture with the station's feedback as it checks each frame
 * ("move closer", "look straight"), and the capture, which the station checks again (ICAO) before
 * it keeps it. At most the configured number of attempts; the last accepted one is kept.
 */
import { useState } from 'preact/hooks';
import { officerMessage } from '../../api.ts';
import { useAction } from '../../components/use-action.ts';
import { pick } from '../../i18n/index.ts';
import { useShared } from '../../state.ts';
import type { SendStep } from './draft.tsx';
import type { DraftView } from './model.ts';
import { KeptPortrait } from './portrait-image.tsx';
import { useShortcut } from './shortcuts.ts';
import { useCameraLive } from './streams.ts';

export function PortraitPanel({ draft, step }: { draft: DraftView; step: SendStep }) {
  const { t, lang, health } = useShared();
  const cameraId = health?.devices?.find((d) => d.family === 'camera')?.id;
  const live = useCameraLive(cameraId);
  const [kept, setKept] = useState(draft.portrait);
  const capture = useAction(async () => {
    const answer = await step({ kind: 'capture-portrait' });
    setKept(answer.draft?.portrait ?? null);
  });
  useShortcut('c', () => void capture.run());
  const box = live.face !== undefined && live.size !== undefined ? live.face : undefined;
  return (
    <div class="enr-columns">
      <section class="card" aria-labelledby="enr-live-title">
        <h2 id="enr-live-title">{t('enr.portrait.live')}</h2>
        <div
          class={`enr-camera${live.accepted ? ' enr-camera-ok' : live.accepted === false ? ' enr-camera-adjust' : ''}`}
        >
          {live.frame ? (
            <img src={live.frame} alt={t('enr.portrait.liveAlt')} width={320} height={240} />
          ) : (
            <p class="note" role="status">
              {cameraId === undefined ? t('enr.portrait.noCamera') : t('enr.portrait.waiting')}
            </p>
          )}
          {box !== undefined && live.size !== undefined ? (
            <span
              class="enr-face-box"
              aria-hidden="true"
              style={{
                left: `${(box.x / live.size.width) * 100}%`,
                top: `${(box.y / live.size.height) * 100}%`,
                width: `${(box.width / live.size.width) * 100}%`,
                height: `${(box.height / live.size.height) * 100}%`,
              }}
            />
          ) : null}
        </div>
        <div
          class="enr-feedback"
          role="status"
          aria-live="polite"
          data-accepted={String(live.accepted ?? '')}
        >
          {live.accepted === undefined ? null : live.accepted ? (
            <p class="enr-ok">{t('enr.portrait.good')}</p>
          ) : (
            <ul>
              {live.feedback.slice(0, 3).map((f) => (
                <li key={f.code}>{pick(f.message, lang)}</li>
              ))}
            </ul>
          )}
        </div>
      </section>
      <section class="card" aria-labelledby="enr-take-title">
        <h2 id="enr-take-title">{t('enr.portrait.take')}</h2>
        <p>{t('enr.portrait.hint')}</p>
        <button
          type="button"
          class="primary enr-big"
          disabled={capture.busy}
          aria-busy={capture.busy}
          aria-keyshortcuts="Alt+C"
          onClick={() => void capture.run()}
        >
          {capture.busy
            ? t('enr.portrait.taking')
            : kept
              ? t('enr.portrait.retake')
              : t('enr.portrait.capture')}
        </button>
        {capture.error ? (
          <p class="form-error" role="alert">
            {officerMessage(capture.error, lang)}
          </p>
        ) : null}
        {kept ? (
          <div class="enr-kept">
            <KeptPortrait id={draft.id} sha256={kept.sha256} alt={t('enr.portrait.keptAlt')} width={180} />
            <p>{t('enr.portrait.kept', { attempts: kept.attempts })}</p>
          </div>
        ) : null}
        <p class="note">{t('enr.shortcuts.portrait')}</p>
      </section>
    </div>
  );
}
