/**
 * The outbox: packets waiting and sent, the uploader (online, offline since when, the last
 * problem), each packet's state and upload progress (live from /streams/outbox), sending a packet
 * again, asking central now, exporting the waiting packets to removable media and taking central's
 * receipts back from it (POST /outbox/export, /outbox/import: `station outbox export|import`).
 */
import { useEffect, useState } from 'preact/hooks';
import { ApiError, api, officerMessage } from '../../api.ts';
import { Field } from '../../components/field.tsx';
import {
  clockTime,
  minutesSince,
  percent,
  type UploaderState,
  useUploads,
} from '../../components/uploads.ts';
import { useAction } from '../../components/use-action.ts';
import type { MessageKey, Translate } from '../../i18n/index.ts';
import { useShared } from '../../state.ts';
import { useStation } from './use-station.ts';

type PacketState = 'queued' | 'uploading' | 'acknowledged' | 'dead-letter';

interface Entry {
  readonly packetId: string;
  readonly state: PacketState;
  readonly enqueuedAt: number;
  readonly size: number;
  readonly acknowledgedAt?: number;
  readonly exportedAt?: number;
  readonly deadLetter?: { readonly code: string; readonly message: string };
}

interface OutboxView {
  readonly stats: {
    readonly queued: number;
    readonly uploading: number;
    readonly acknowledged: number;
    readonly deadLetter: number;
    readonly waitingBytes: number;
    readonly offlineSince: number | null;
    readonly daysOffline: number;
    readonly diskFreeBytes: number;
  };
  readonly uploader: UploaderState;
  readonly total: number;
  readonly packets: readonly Entry[];
}

interface ExportAnswer {
  readonly folder: string;
  readonly manifest: { readonly packets: readonly { readonly packetId: string }[] };
}

interface ImportAnswer {
  readonly acknowledged: number;
  readonly deadLettered: number;
  readonly alreadyAcknowledged: number;
  readonly refused: number;
}

const STATE_KEYS: Readonly<Record<PacketState, MessageKey>> = {
  queued: 'admin.outbox.state.queued',
  uploading: 'admin.outbox.state.uploading',
  acknowledged: 'admin.outbox.state.acknowledged',
  'dead-letter': 'admin.outbox.state.dead-letter',
};

/** The removable-media refusals the station names by code (station/outbox/removable.ts). */
const MEDIA_ERRORS: Readonly<Record<string, MessageKey>> = {
  EXPORT_FOLDER_MISSING: 'admin.media.EXPORT_FOLDER_MISSING',
  EXPORT_FOLDER_NOT_DIRECTORY: 'admin.media.EXPORT_FOLDER_NOT_DIRECTORY',
  EXPORT_FOLDER_NOT_WRITABLE: 'admin.media.EXPORT_FOLDER_NOT_WRITABLE',
  EXPORT_NO_SPACE: 'admin.media.EXPORT_NO_SPACE',
  EXPORT_NOTHING_TO_EXPORT: 'admin.media.EXPORT_NOTHING_TO_EXPORT',
  EXPORT_PACKET_NOT_WAITING: 'admin.media.EXPORT_PACKET_NOT_WAITING',
  EXPORT_WRITE_FAILED: 'admin.media.EXPORT_WRITE_FAILED',
  EXPORT_BAD_STATION_ID: 'admin.media.EXPORT_BAD_STATION_ID',
  IMPORT_FOLDER_MISSING: 'admin.media.IMPORT_FOLDER_MISSING',
  IMPORT_FOLDER_NOT_DIRECTORY: 'admin.media.IMPORT_FOLDER_NOT_DIRECTORY',
  OUTBOX_WRONG_STATE: 'admin.media.OUTBOX_WRONG_STATE',
  OUTBOX_UNKNOWN_PACKET: 'admin.media.OUTBOX_UNKNOWN_PACKET',
};

/** An outbox or media refusal in the officer's language: by its code, else as the API gave it. */
function refusal(error: unknown, t: Translate, lang: 'vi' | 'en'): string {
  if (error instanceof ApiError) {
    const key = MEDIA_ERRORS[error.code];
    if (key !== undefined) return t(key);
  }
  return officerMessage(error, lang);
}

/** Whether the API refused the `folder` field itself (schema: empty, too long). */
function folderProblem(error: unknown): boolean {
  return error instanceof ApiError && error.problems.some((problem) => problem.key === 'body/folder');
}

function megabytes(bytes: number): string {
  return (bytes / 1_000_000).toFixed(bytes < 10_000_000 ? 2 : 0);
}

function Stat({ label, value, name }: { label: string; value: string | number; name: string }) {
  return (
    <div class="admin-stat" data-stat={name}>
      <dt>{label}</dt>
      <dd>{value}</dd>
    </div>
  );
}

/**
 * Where the kiosk mounts a USB stick for exports (deploy/: the service may write there and nowhere
 * else removable), so the form starts there.
 */
const MEDIA_FOLDER = '/media/cccd-export';

function FolderForm(props: {
  id: string;
  legend: string;
  hint: string;
  submit: string;
  run: (folder: string) => Promise<string>;
}) {
  const { t, lang } = useShared();
  const [folder, setFolder] = useState(MEDIA_FOLDER);
  const [missing, setMissing] = useState(false);
  const [done, setDone] = useState<string | undefined>(undefined);
  const action = useAction(async () => {
    setDone(undefined);
    const trimmed = folder.trim();
    setMissing(trimmed === '');
    if (trimmed === '') return;
    setDone(await props.run(trimmed));
  });
  const fieldError = missing
    ? t('admin.media.folderRequired')
    : folderProblem(action.error)
      ? t('admin.media.folderInvalid')
      : undefined;
  return (
    <form
      class="card admin-form"
      noValidate
      aria-labelledby={`${props.id}-legend`}
      onSubmit={(event) => {
        event.preventDefault();
        void action.run();
      }}
    >
      <h3 id={`${props.id}-legend`}>{props.legend}</h3>
      <p class="note">{props.hint}</p>
      <Field
        id={props.id}
        label={t('admin.media.folder')}
        value={folder}
        onInput={setFolder}
        error={fieldError}
        autoComplete="off"
      />
      {action.error === undefined || folderProblem(action.error) ? null : (
        <p
          class="form-error"
          role="alert"
          data-code={action.error instanceof ApiError ? action.error.code : ''}
        >
          {refusal(action.error, t, lang)}
        </p>
      )}
      {done === undefined ? null : (
        <p class="admin-ok" role="status">
          {done}
        </p>
      )}
      <button type="submit" class="primary" disabled={action.busy} aria-busy={action.busy}>
        {action.busy ? t('admin.busy') : props.submit}
      </button>
    </form>
  );
}

function PacketRow({
  entry,
  progress,
  onChanged,
}: {
  entry: Entry;
  progress: { bytesSent: number; bytesTotal: number } | undefined;
  onChanged: () => Promise<void>;
}) {
  const { t, lang } = useShared();
  const retry = useAction(async () => {
    await api('POST', `/outbox/${encodeURIComponent(entry.packetId)}/retry`);
    await onChanged();
  });
  const share = progress === undefined ? undefined : percent(progress);
  const retryText = entry.state === 'dead-letter' ? t('admin.outbox.retry') : t('admin.outbox.sendNow');
  return (
    <tr data-packet={entry.packetId} data-state={entry.state}>
      <th scope="row">
        <code title={entry.packetId}>{entry.packetId.slice(0, 8)}…</code>
      </th>
      <td>
        <span class={`admin-packet admin-packet-${entry.state}`}>{t(STATE_KEYS[entry.state])}</span>
        {entry.state === 'uploading' && share !== undefined ? (
          <div class="admin-progress">
            <progress max={100} value={share} aria-label={t('admin.outbox.progress', { percent: share })} />
            <span>{share}%</span>
          </div>
        ) : null}
      </td>
      <td>{megabytes(entry.size)} MB</td>
      <td>{clockTime(entry.enqueuedAt, lang)}</td>
      <td>
        {entry.acknowledgedAt !== undefined
          ? t('admin.outbox.ackAt', { time: clockTime(entry.acknowledgedAt, lang) })
          : entry.exportedAt !== undefined
            ? t('admin.outbox.exportedAt', { time: clockTime(entry.exportedAt, lang) })
            : ''}
        {entry.deadLetter === undefined ? null : (
          <div class="admin-sub">
            <code>{entry.deadLetter.code}</code> {entry.deadLetter.message}
          </div>
        )}
      </td>
      <td>
        {entry.state === 'dead-letter' || entry.state === 'queued' ? (
          <button
            type="button"
            class="secondary"
            disabled={retry.busy}
            aria-label={t('admin.outbox.retryLabel', { action: retryText, id: entry.packetId.slice(0, 8) })}
            onClick={() => void retry.run()}
          >
            {retryText}
          </button>
        ) : null}
        {retry.error === undefined ? null : (
          <p class="form-error" role="alert">
            {refusal(retry.error, t, lang)}
          </p>
        )}
      </td>
    </tr>
  );
}

export function OutboxScreen() {
  const { t, lang, session } = useShared();
  const [filter, setFilter] = useState<'' | PacketState>('');
  const outbox = useStation<OutboxView>(`/outbox?limit=200${filter === '' ? '' : `&state=${filter}`}`, 5000);
  const uploads = useUploads(session?.session.state === 'active');
  // A packet acknowledged or refused, or the queue moving: the list is read again at once.
  const depth = uploads.state?.queueDepth;
  const online = uploads.state?.online;
  const { reload } = outbox;
  useEffect(() => {
    void reload();
  }, [uploads.settled, depth, online, reload]);
  const probe = useAction(async () => {
    await api('POST', '/outbox/probe');
  });
  const data = outbox.data;
  const uploader = uploads.state ?? data?.uploader;
  const offlineSince = uploader?.offlineSince ?? null;
  const problem = uploads.lastProblem;
  return (
    <section aria-labelledby="admin-outbox-title">
      <h2 id="admin-outbox-title">{t('admin.outbox.title')}</h2>
      {outbox.error !== undefined && data === undefined ? (
        <p class="form-error" role="alert">
          {officerMessage(outbox.error, lang)}
        </p>
      ) : null}
      <div class="card admin-uploader" data-online={uploader === undefined ? '' : String(uploader.online)}>
        <p
          class={uploader?.online === false ? 'central-offline admin-central' : 'admin-central'}
          role="status"
        >
          {uploader === undefined
            ? t('outbox.central.unknown')
            : uploader.online
              ? t('admin.outbox.online')
              : offlineSince === null
                ? t('outbox.central.offline')
                : t('admin.outbox.offlineSince', {
                    time: clockTime(offlineSince, lang),
                    minutes: minutesSince(offlineSince),
                  })}
        </p>
        {uploader?.lastSuccessAt ? (
          <p class="note">
            {t('admin.outbox.lastSuccess', { time: clockTime(uploader.lastSuccessAt, lang) })}
          </p>
        ) : null}
        {problem === undefined || uploader?.online ? null : (
          <p class="admin-problem" data-problem={problem.code}>
            {t('admin.outbox.lastProblem', { time: clockTime(problem.at, lang) })} {problem.message[lang]}
          </p>
        )}
        <button
          type="button"
          class="secondary"
          disabled={probe.busy || uploader?.online === true}
          onClick={() => void probe.run()}
        >
          {t('admin.outbox.probe')}
        </button>
        {probe.error === undefined ? null : (
          <p class="form-error" role="alert">
            {officerMessage(probe.error, lang)}
          </p>
        )}
      </div>
      {data === undefined ? null : (
        <dl class="admin-stats">
          <Stat
            name="waiting"
            label={t('admin.outbox.waiting')}
            value={data.stats.queued + data.stats.uploading}
          />
          <Stat name="uploading" label={t('admin.outbox.uploading')} value={data.stats.uploading} />
          <Stat name="acknowledged" label={t('admin.outbox.acknowledged')} value={data.stats.acknowledged} />
          <Stat name="dead-letter" label={t('admin.outbox.deadLetter')} value={data.stats.deadLetter} />
          <Stat
            name="waiting-bytes"
            label={t('admin.outbox.waitingBytes')}
            value={`${megabytes(data.stats.waitingBytes)} MB`}
          />
          <Stat
            name="disk"
            label={t('admin.outbox.diskFree')}
            value={`${(data.stats.diskFreeBytes / 1e9).toFixed(1)} GB`}
          />
        </dl>
      )}
      <div class="admin-forms">
        <FolderForm
          id="export-folder"
          legend={t('admin.export.title')}
          hint={t('admin.export.hint')}
          submit={t('admin.export.submit')}
          run={async (folder) => {
            const answer = await api<ExportAnswer>('POST', '/outbox/export', { folder });
            await reload();
            return t('admin.export.done', { count: answer.manifest.packets.length, folder: answer.folder });
          }}
        />
        <FolderForm
          id="import-folder"
          legend={t('admin.import.title')}
          hint={t('admin.import.hint')}
          submit={t('admin.import.submit')}
          run={async (folder) => {
            const answer = await api<ImportAnswer>('POST', '/outbox/import', { folder });
            await reload();
            return t('admin.import.done', {
              acknowledged: answer.acknowledged + answer.alreadyAcknowledged,
              deadLettered: answer.deadLettered,
              refused: answer.refused,
            });
          }}
        />
      </div>
      <div class="admin-list-head">
        <h3>{t('admin.outbox.packets')}</h3>
        <div class="field">
          <label for="outbox-filter">{t('admin.outbox.filter')}</label>
          <select
            id="outbox-filter"
            value={filter}
            onChange={(event) =>
              setFilter((event.currentTarget as HTMLSelectElement).value as '' | PacketState)
            }
          >
            <option value="">{t('admin.outbox.filter.all')}</option>
            {(Object.keys(STATE_KEYS) as PacketState[]).map((state) => (
              <option key={state} value={state}>
                {t(STATE_KEYS[state])}
              </option>
            ))}
          </select>
        </div>
      </div>
      {data === undefined ? null : data.packets.length === 0 ? (
        <p class="note">{t('admin.outbox.noPackets')}</p>
      ) : (
        <table class="admin-table">
          <thead>
            <tr>
              <th scope="col">{t('admin.outbox.packet')}</th>
              <th scope="col">{t('admin.outbox.state')}</th>
              <th scope="col">{t('admin.outbox.size')}</th>
              <th scope="col">{t('admin.outbox.enqueued')}</th>
              <th scope="col">{t('admin.outbox.outcome')}</th>
              <th scope="col">{t('admin.outbox.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {data.packets.map((entry) => (
              <PacketRow
                key={entry.packetId}
                entry={entry}
                progress={uploads.progress.get(entry.packetId)}
                onChanged={reload}
              />
            ))}
          </tbody>
        </table>
      )}
      {data !== undefined && data.total > data.packets.length ? (
        <p class="note">{t('admin.outbox.more', { shown: data.packets.length, total: data.total })}</p>
      ) : null}
    </section>
  );
}
