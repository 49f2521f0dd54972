/** The queue of open drafts: open a new enrollment, or resume one (after a break, a refresh or a restart). */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, officerMessage } from '../../api.ts';
import { useAction } from '../../components/use-action.ts';
import { useShared } from '../../state.ts';
import { type DraftView, loadDraft } from './model.ts';
import { useShortcut } from './shortcuts.ts';

/** At most this many drafts are shown with their details (each is one request). */
const SHOWN = 30;

export function Queue() {
  const { t, lang } = useShared();
  const [drafts, setDrafts] = useState<readonly DraftView[] | undefined>(undefined);
  const [failure, setFailure] = useState<unknown>(undefined);
  const refresh = useCallback(async () => {
    try {
      const { enrollments } = await api<{ enrollments: { id: string; updatedAt: string }[] }>(
        'GET',
        '/enrollments',
      );
      const newest = [...enrollments].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt)).slice(0, SHOWN);
      const views = await Promise.all(newest.map((entry) => loadDraft(entry.id).catch(() => undefined)));
      setDrafts(views.filter((view): view is DraftView => view !== undefined));
      setFailure(undefined);
    } catch (error) {
      setFailure(error);
    }
  }, []);
  useEffect(() => {
    void refresh();
  }, [refresh]);
  const open = useAction(async () => {
    const draft = await api<DraftView>('POST', '/enrollments');
    location.hash = `#/enrollment/${draft.id}`;
  });
  useShortcut('n', () => void open.run());
  return (
    <main id="main" class="screen enr">
      <div class="enr-head">
        <h1>{t('enr.queue.title')}</h1>
        <a class="enr-link-button" href="#/">
          {t('enr.backHome')}
        </a>
      </div>
      <p class="note">{t('enr.queue.hint')}</p>
      <button
        type="button"
        class="primary enr-big"
        disabled={open.busy}
        aria-busy={open.busy}
        aria-keyshortcuts="Alt+N"
        onClick={() => void open.run()}
      >
        {t('enr.queue.new')}
      </button>
      {open.error ? (
        <p class="form-error" role="alert">
          {officerMessage(open.error, lang)}
        </p>
      ) : null}
      <h2>{t('enr.queue.open')}</h2>
      {failure ? (
        <p class="form-error" role="alert">
          {officerMessage(failure, lang)}
        </p>
      ) : null}
      {drafts === undefined ? (
        <p class="note" role="status">
          {t('enr.loading')}
        </p>
      ) : drafts.length === 0 ? (
        <p class="note">{t('enr.queue.empty')}</p>
      ) : (
        <ul class="enr-queue">
          {drafts.map((draft) => (
            <li key={draft.id} data-draft={draft.id}>
              <a class="enr-queue-item" href={`#/enrollment/${draft.id}`}>
                <span class="enr-queue-name">
                  {draft.demographics?.applicant.fullName ?? t('enr.queue.noName')}
                </span>
                <span>
                  {draft.type === null ? t('enr.type.none') : t(`enr.type.${draft.type}`)} ·{' '}
                  {t(`enr.stage.${draft.stage}`)}
                </span>
                <span class="note">
                  {t('enr.queue.changed', { time: new Date(draft.updatedAt).toLocaleTimeString(lang) })}
                </span>
                <span class="enr-queue-go">{t('enr.queue.resume')}</span>
              </a>
            </li>
          ))}
        </ul>
      )}
      <p class="note">{t('enr.shortcuts.queue')}</p>
    </main>
  );
}
