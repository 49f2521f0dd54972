/**
 * The person at the desk against the chip: the chip portrait beside the camera's live picture (the
 * station's preview stream), the face comparison on the station's newest frame, and a fingerprint
 * against the chip's where the station may read them (EAC); otherwise why not, in words.
 */
import { useEffect, useState } from 'preact/hooks';
import { officerMessage } from '../../api.ts';
import { useAction } from '../../components/use-action.ts';
import { pick } from '../../i18n/index.ts';
import { useShared } from '../../state.ts';
import type { CardRead, FaceResult, FingerResult, VerificationSession } from './api.ts';

/** The camera's preview frames as data: URLs (the stream's `frame` events), while mounted. */
export function useLiveFrame(cameraId: string | undefined): string | undefined {
  const [frame, setFrame] = useState<string | undefined>(undefined);
  useEffect(() => {
    if (cameraId === undefined) return;
    const source = new EventSource(`/streams/camera/${encodeURIComponent(cameraId)}/preview?fps=5`);
    source.addEventListener('frame', (event) => {
      try {
        const data = JSON.parse((event as MessageEvent<string>).data) as { image?: { jpeg?: string } };
        if (typeof data.image?.jpeg === 'string') setFrame(`data:image/jpeg;base64,${data.image.jpeg}`);
      } catch {
        // A frame that does not parse is skipped; the next one comes within 200 ms.
      }
    });
    return () => source.close();
  }, [cameraId]);
  return frame;
}

const decimals = (value: number) => value.toFixed(2);

export function PersonPanel(props: {
  readonly session: VerificationSession;
  readonly read: CardRead;
  readonly portrait: string | undefined;
  readonly cameraId: string | undefined;
  readonly face: FaceResult | undefined;
  readonly finger: FingerResult | undefined;
  readonly onFace: (face: FaceResult, liveShot: string | undefined) => void;
  readonly onFinger: (finger: FingerResult) => void;
}) {
  const { t, lang } = useShared();
  const live = useLiveFrame(props.face === undefined ? props.cameraId : undefined);
  const [shot, setShot] = useState<string | undefined>(undefined);
  const compare = useAction(async () => {
    if (props.cameraId === undefined) return;
    const taken = live;
    setShot(taken);
    props.onFace(await props.session.step<FaceResult>('face', { camera: props.cameraId }), taken);
  });
  const skipFace = useAction(async () => {
    props.onFace(await props.session.step<FaceResult>('face', { skip: t('ver.face.skipReason') }), undefined);
  });
  const captureFinger = useAction(async () => {
    props.onFinger(await props.session.step<FingerResult>('finger', {}));
  });
  const skipFinger = useAction(async () => {
    props.onFinger(await props.session.step<FingerResult>('finger', { skip: true }));
  });
  const face = props.face;
  const finger = props.finger;
  const fingersReadable = props.read.fingerprints.status === 'read';
  const faceError = compare.error ?? skipFace.error;
  const fingerError = captureFinger.error ?? skipFinger.error;
  const faceBusy = compare.busy || skipFace.busy;
  const fingerBusy = captureFinger.busy || skipFinger.busy;
  const shown = face === undefined ? live : (shot ?? live);
  return (
    <section class="card ver-person">
      <h2>{t('ver.person.title')}</h2>
      <div class="ver-faces">
        <figure>
          {props.portrait ? (
            <img src={props.portrait} alt={t('ver.person.chipAlt')} data-portrait="chip" />
          ) : (
            <p class="note">{t('ver.person.noChipPortrait')}</p>
          )}
          <figcaption>{t('ver.person.chip')}</figcaption>
        </figure>
        <figure>
          {shown ? (
            <img src={shown} alt={t('ver.person.liveAlt')} data-portrait="live" />
          ) : (
            <p class="note">{t('ver.person.noCamera')}</p>
          )}
          <figcaption>{t('ver.person.live')}</figcaption>
        </figure>
      </div>
      {face === undefined ? (
        <div class="ver-actions">
          <button
            type="button"
            class="primary"
            disabled={faceBusy || props.cameraId === undefined}
            aria-busy={compare.busy}
            onClick={() => void compare.run()}
          >
            {compare.busy ? t('ver.face.comparing') : t('ver.face.compare')}
          </button>
          <button type="button" class="secondary" disabled={faceBusy} onClick={() => void skipFace.run()}>
            {t('ver.face.skip')}
          </button>
        </div>
      ) : (
        <p
          class={`ver-result ${face.checked && face.decision === 'same' ? 'ver-result-ok' : face.checked ? 'ver-result-bad' : 'ver-result-warn'}`}
          data-face={face.checked ? face.decision : 'not-checked'}
          role="status"
        >
          {face.checked
            ? t(face.decision === 'same' ? 'ver.face.same' : 'ver.face.different', {
                distance: decimals(face.distance),
                threshold: decimals(face.threshold),
              })
            : pick(face.message, lang)}
        </p>
      )}
      {faceError ? (
        <p class="form-error" role="alert">
          {officerMessage(faceError, lang)}
        </p>
      ) : null}
      <h3>{t('ver.finger.title')}</h3>
      {finger !== undefined ? (
        <p
          class={`ver-result ${finger.checked && finger.decision === 'match' ? 'ver-result-ok' : finger.checked && finger.decision === 'no-match' ? 'ver-result-bad' : 'ver-result-warn'}`}
          data-finger={finger.checked ? finger.decision : 'not-checked'}
          role="status"
        >
          {finger.checked ? t(`ver.finger.${finger.decision}`) : pick(finger.message, lang)}
        </p>
      ) : fingersReadable ? (
        <div>
          <p class="note">{t('ver.finger.available')}</p>
          <div class="ver-actions">
            <button
              type="button"
              class="primary"
              disabled={fingerBusy || face === undefined}
              aria-busy={captureFinger.busy}
              onClick={() => void captureFinger.run()}
            >
              {captureFinger.busy ? t('ver.finger.capturing') : t('ver.finger.capture')}
            </button>
            <button
              type="button"
              class="secondary"
              disabled={fingerBusy || face === undefined}
              onClick={() => void skipFinger.run()}
            >
              {t('ver.finger.skip')}
            </button>
          </div>
        </div>
      ) : (
        <p class="note" data-finger="unavailable">
          {pick(props.read.fingerprints.message, lang)}
        </p>
      )}
      {fingerError ? (
        <p class="form-error" role="alert">
          {officerMessage(fingerError, lang)}
        </p>
      ) : null}
      <p class="note">{t('ver.claim')}</p>
    </section>
  );
}
