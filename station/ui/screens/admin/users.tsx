/**
 * Officer accounts (/auth/accounts): the list with each account's roles and state, a new account,
 * disable and enable (disabling ends its sessions), a new password (a dialog; Escape cancels),
 * lifting a failure lock, and ending every session of an account. The administrator's own account
 * is not offered these (a reset or disable would end this very session): the CLI does that.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, api, officerMessage } from '../../api.ts';
import { Field } from '../../components/field.tsx';
import { clockTime } from '../../components/uploads.ts';
import { useAction } from '../../components/use-action.ts';
import type { MessageKey } from '../../i18n/index.ts';
import { type Role, useShared } from '../../state.ts';
import { useStation } from './use-station.ts';

interface Account {
  readonly id: string;
  readonly displayName: string;
  readonly roles: readonly Role[];
  readonly disabled: boolean;
  readonly passwordChangedAt: string;
  readonly locked: { readonly at: string; readonly until: string | null } | null;
}

const ROLES: readonly Role[] = ['officer', 'supervisor', 'notary', 'admin'];

/** The fields of the new-account form and the body keys the station names in its problems. */
type NewField = 'id' | 'displayName' | 'roles' | 'password' | 'confirm';

const FIELD_MESSAGES: Readonly<Record<Exclude<NewField, 'confirm'>, MessageKey>> = {
  id: 'admin.users.problem.id',
  displayName: 'admin.users.problem.displayName',
  roles: 'admin.users.problem.roles',
  password: 'admin.users.problem.password',
};

/** The station's refusal of one field (schema problems by JSON key, the password policy by code). */
function apiFieldErrors(error: unknown): Set<NewField> {
  const fields = new Set<NewField>();
  if (!(error instanceof ApiError)) return fields;
  for (const problem of error.problems) {
    const key = (problem.key ?? problem.field ?? '').replace(/^body\//, '').split('/')[0];
    if (key === 'id' || key === 'displayName' || key === 'roles' || key === 'password') fields.add(key);
  }
  if (error.code === 'AUTH_PASSWORD_POLICY') fields.add('password');
  return fields;
}

function NewAccount({ onAdded }: { onAdded: (id: string) => Promise<void> }) {
  const { t, lang } = useShared();
  const [id, setId] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [roles, setRoles] = useState<readonly Role[]>(['officer']);
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [local, setLocal] = useState<Set<NewField>>(new Set());
  const add = useAction(async () => {
    const missing = new Set<NewField>();
    if (!/^[a-z0-9][a-z0-9._-]{0,63}$/.test(id.trim())) missing.add('id');
    if (displayName.trim() === '') missing.add('displayName');
    if (roles.length === 0) missing.add('roles');
    if ([...password].length < 10) missing.add('password');
    if (confirm !== password) missing.add('confirm');
    setLocal(missing);
    if (missing.size > 0) return;
    await api('POST', '/auth/accounts', {
      id: id.trim(),
      displayName: displayName.trim().normalize('NFC'),
      roles,
      password,
    });
    setId('');
    setDisplayName('');
    setPassword('');
    setConfirm('');
    setRoles(['officer']);
    await onAdded(id.trim());
  });
  const fromApi = apiFieldErrors(add.error);
  const errorOf = (field: NewField): string | undefined => {
    if (field === 'confirm') return local.has('confirm') ? t('admin.users.problem.confirm') : undefined;
    if (local.has(field) || fromApi.has(field))
      return field === 'password' &&
        add.error instanceof ApiError &&
        add.error.code === 'AUTH_PASSWORD_POLICY'
        ? officerMessage(add.error, lang)
        : t(FIELD_MESSAGES[field]);
    return undefined;
  };
  const formError =
    add.error !== undefined && fromApi.size === 0 ? officerMessage(add.error, lang) : undefined;
  return (
    <form
      class="card admin-form"
      noValidate
      aria-labelledby="new-account-title"
      onSubmit={(event) => {
        event.preventDefault();
        void add.run();
      }}
    >
      <h3 id="new-account-title">{t('admin.users.add')}</h3>
      <Field
        id="new-id"
        label={t('admin.users.id')}
        value={id}
        onInput={setId}
        error={errorOf('id')}
        autoComplete="off"
      />
      <Field
        id="new-name"
        label={t('admin.users.name')}
        value={displayName}
        onInput={setDisplayName}
        error={errorOf('displayName')}
        autoComplete="off"
      />
      <fieldset
        class={`field admin-roles${errorOf('roles') ? ' field-invalid' : ''}`}
        aria-describedby="new-roles-error"
      >
        <legend>{t('admin.users.roles')}</legend>
        {ROLES.map((role) => (
          <label key={role} class="admin-check">
            <input
              type="checkbox"
              name="roles"
              value={role}
              checked={roles.includes(role)}
              onChange={(event) => {
                const on = (event.currentTarget as HTMLInputElement).checked;
                setRoles(on ? [...roles, role] : roles.filter((r) => r !== role));
              }}
            />
            {t(`role.${role}`)}
          </label>
        ))}
        {errorOf('roles') ? (
          <p id="new-roles-error" class="field-error">
            {errorOf('roles')}
          </p>
        ) : null}
      </fieldset>
      <Field
        id="new-password"
        type="password"
        label={t('admin.users.password')}
        value={password}
        onInput={setPassword}
        error={errorOf('password')}
        autoComplete="new-password"
      />
      <Field
        id="new-confirm"
        type="password"
        label={t('admin.users.confirm')}
        value={confirm}
        onInput={setConfirm}
        error={errorOf('confirm')}
        autoComplete="new-password"
      />
      {formError === undefined ? null : (
        <p class="form-error" role="alert" data-code={add.error instanceof ApiError ? add.error.code : ''}>
          {formError}
        </p>
      )}
      <button type="submit" class="primary" disabled={add.busy} aria-busy={add.busy}>
        {add.busy ? t('admin.busy') : t('admin.users.addSubmit')}
      </button>
    </form>
  );
}

/** A new password for `account`, in a modal dialog: Enter sets it, Escape or Cancel closes. */
function ResetDialog({ account, onClose }: { account: Account; onClose: (changed: boolean) => void }) {
  const { t, lang } = useShared();
  const dialog = useRef<HTMLDialogElement>(null);
  const [password, setPassword] = useState('');
  const [short, setShort] = useState(false);
  useEffect(() => {
    dialog.current?.showModal();
  }, []);
  const reset = useAction(async () => {
    setShort([...password].length < 10);
    if ([...password].length < 10) return;
    await api('POST', `/auth/accounts/${encodeURIComponent(account.id)}/reset`, { password });
    onClose(true);
  });
  return (
    <dialog
      ref={dialog}
      class="admin-dialog"
      aria-labelledby="reset-title"
      onCancel={(event) => {
        event.preventDefault();
        onClose(false);
      }}
    >
      <form
        noValidate
        onSubmit={(event) => {
          event.preventDefault();
          void reset.run();
        }}
      >
        <h2 id="reset-title">{t('admin.users.resetTitle', { name: account.displayName })}</h2>
        <p class="note">{t('admin.users.resetHint')}</p>
        <Field
          id="reset-password"
          type="password"
          label={t('admin.users.newPassword')}
          value={password}
          onInput={setPassword}
          autoComplete="new-password"
          error={
            short
              ? t('admin.users.problem.password')
              : reset.error instanceof ApiError && reset.error.code === 'AUTH_PASSWORD_POLICY'
                ? officerMessage(reset.error, lang)
                : undefined
          }
        />
        {reset.error === undefined ||
        (reset.error instanceof ApiError && reset.error.code === 'AUTH_PASSWORD_POLICY') ? null : (
          <p class="form-error" role="alert">
            {officerMessage(reset.error, lang)}
          </p>
        )}
        <div class="admin-dialog-buttons">
          <button type="button" class="secondary" onClick={() => onClose(false)}>
            {t('admin.cancel')}
          </button>
          <button type="submit" class="primary" disabled={reset.busy} aria-busy={reset.busy}>
            {t('admin.users.resetSubmit')}
          </button>
        </div>
      </form>
    </dialog>
  );
}

function AccountRow({
  account,
  self,
  onChanged,
  onReset,
}: {
  account: Account;
  self: boolean;
  onChanged: (message: string) => Promise<void>;
  onReset: (account: Account) => void;
}) {
  const { t, lang } = useShared();
  const act = useAction(async (action: 'disable' | 'enable' | 'unlock' | 'logout-all') => {
    await api('POST', `/auth/accounts/${encodeURIComponent(account.id)}/${action}`);
    const done: Record<typeof action, MessageKey> = {
      disable: 'admin.users.disabled',
      enable: 'admin.users.enabled',
      unlock: 'admin.users.unlocked',
      'logout-all': 'admin.users.loggedOut',
    };
    await onChanged(t(done[action], { id: account.id }));
  });
  const state = account.disabled
    ? t('admin.users.state.disabled')
    : account.locked !== null
      ? t('admin.users.state.locked')
      : t('admin.users.state.active');
  return (
    <tr data-account={account.id}>
      <th scope="row">
        {account.displayName}
        <div class="admin-sub">
          <code>{account.id}</code>
        </div>
      </th>
      <td>{account.roles.map((role) => t(`role.${role}`)).join(', ')}</td>
      <td>
        <span
          class={`admin-state ${account.disabled || account.locked !== null ? 'admin-state-error' : 'admin-state-ready'}`}
          data-account-state={account.disabled ? 'disabled' : account.locked !== null ? 'locked' : 'active'}
        >
          {state}
        </span>
      </td>
      <td>{clockTime(Date.parse(account.passwordChangedAt), lang)}</td>
      <td>
        <div class="admin-actions">
          {self ? null : account.disabled ? (
            <button
              type="button"
              class="secondary"
              disabled={act.busy}
              onClick={() => void act.run('enable')}
            >
              {t('admin.users.enable')}
            </button>
          ) : (
            <button
              type="button"
              class="secondary"
              disabled={act.busy}
              onClick={() => void act.run('disable')}
            >
              {t('admin.users.disable')}
            </button>
          )}
          {account.locked === null ? null : (
            <button
              type="button"
              class="secondary"
              disabled={act.busy}
              onClick={() => void act.run('unlock')}
            >
              {t('admin.users.unlock')}
            </button>
          )}
          {self ? (
            <span class="note">{t('admin.users.self')}</span>
          ) : (
            <>
              <button type="button" class="secondary" disabled={act.busy} onClick={() => onReset(account)}>
                {t('admin.users.reset')}
              </button>
              <button
                type="button"
                class="secondary"
                disabled={act.busy}
                onClick={() => void act.run('logout-all')}
              >
                {t('admin.users.logoutAll')}
              </button>
            </>
          )}
          {act.error === undefined ? null : (
            <p class="form-error" role="alert">
              {officerMessage(act.error, lang)}
            </p>
          )}
        </div>
      </td>
    </tr>
  );
}

export function UsersScreen() {
  const { t, lang, session } = useShared();
  const accounts = useStation<{ accounts: readonly Account[] }>('/auth/accounts');
  const [resetting, setResetting] = useState<Account | undefined>(undefined);
  const [notice, setNotice] = useState<string | undefined>(undefined);
  const changed = async (message: string) => {
    setNotice(message);
    await accounts.reload();
  };
  return (
    <section aria-labelledby="admin-users-title">
      <h2 id="admin-users-title">{t('admin.users.title')}</h2>
      {notice === undefined ? null : (
        <p class="admin-ok" role="status">
          {notice}
        </p>
      )}
      {accounts.error === undefined ? null : (
        <p class="form-error" role="alert">
          {officerMessage(accounts.error, lang)}
        </p>
      )}
      <table class="admin-table">
        <thead>
          <tr>
            <th scope="col">{t('admin.users.account')}</th>
            <th scope="col">{t('admin.users.roles')}</th>
            <th scope="col">{t('admin.users.state')}</th>
            <th scope="col">{t('admin.users.passwordChanged')}</th>
            <th scope="col">{t('admin.outbox.actions')}</th>
          </tr>
        </thead>
        <tbody>
          {(accounts.data?.accounts ?? []).map((account) => (
            <AccountRow
              key={account.id}
              account={account}
              self={account.id === session?.account.id}
              onChanged={changed}
              onReset={setResetting}
            />
          ))}
        </tbody>
      </table>
      <NewAccount onAdded={(id) => changed(t('admin.users.added', { id }))} />
      {resetting === undefined ? null : (
        <ResetDialog
          account={resetting}
          onClose={(done) => {
            const who = resetting;
            setResetting(undefined);
            if (done) void changed(t('admin.users.resetDone', { id: who.id }));
          }}
        />
      )}
    </section>
  );
}
