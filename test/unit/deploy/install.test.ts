/**
 * deploy/install.sh into a staged root (--root): users, the release layout, ownership and modes, the
 * kiosk's policy and URL from the configuration, idempotence, updates with a rollback release kept.
 */
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../station/config/load.ts';
import {
  fakeBuiltCheckout,
  idIn,
  ROOT,
  requireCommand,
  requireRoot,
  runInstall,
} from '../../support/deploy.ts';
import { tempDir } from '../../support/station.ts';

interface Entry {
  readonly mode: string;
  readonly uid: number;
  readonly gid: number;
  readonly content: string;
}

/** Every path under `root` with its mode, owner, and content hash or link target. */
function snapshot(root: string): Record<string, Entry> {
  const out: Record<string, Entry> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = path.join(dir, name);
      const st = lstatSync(full);
      const content = st.isSymbolicLink()
        ? `-> ${readlinkSync(full)}`
        : st.isFile()
          ? createHash('sha256').update(readFileSync(full)).digest('hex')
          : 'dir';
      out[path.relative(root, full)] = {
        mode: (st.mode & 0o7777).toString(8),
        uid: st.uid,
        gid: st.gid,
        content,
      };
      if (st.isDirectory()) walk(full);
    }
  };
  walk(root);
  return out;
}

const modeOf = (file: string) => (lstatSync(file).mode & 0o7777).toString(8);

let tmp: ReturnType<typeof tempDir>;

beforeAll(() => {
  requireRoot('deploy/install.sh');
  requireCommand('systemd-sysusers', 'systemd');
  tmp = tempDir('deploy-install-');
});

afterAll(() => tmp?.remove());

/** A fresh staged root, installed once from a checkout built at `startedMs`. */
function install(name: string, startedMs: number, extra: readonly string[] = []) {
  const root = path.join(tmp.dir, name, 'root');
  mkdirSync(root, { recursive: true });
  const app = fakeBuiltCheckout(path.join(tmp.dir, name, `app-${startedMs}`), startedMs);
  const run = runInstall(['--root', root, '--app', app, ...extra]);
  return { root, app, run };
}

describe('deploy/install.sh --root', () => {
  it('creates the users, the release, the configuration and the data folder with their owners and modes', () => {
    const { root, run } = install('fresh', 1_765_000_000_000);
    expect(run.stderr.replace(/^(Creating (group|user) .*)\n/gm, '')).toBe('');
    expect(run.status).toBe(0);

    const passwd = readFileSync(path.join(root, 'etc/passwd'), 'utf8');
    expect(passwd).toMatch(/^cccd-station:x:\d+:\d+:[^:]*:\/var\/lib\/cccd-station:\/usr\/sbin\/nologin$/m);
    expect(passwd).toMatch(/^cccd-kiosk:x:\d+:\d+:[^:]*:\/var\/lib\/cccd-kiosk:\/usr\/sbin\/nologin$/m);
    const uid = idIn(root, 'passwd', 'cccd-station');
    const gid = idIn(root, 'group', 'cccd-station');
    const kioskUid = idIn(root, 'passwd', 'cccd-kiosk');
    expect(kioskUid).not.toBe(uid);
    // The kiosk user is not in the station's group: it cannot read the data or the devices.
    const groupLine = readFileSync(path.join(root, 'etc/group'), 'utf8')
      .split('\n')
      .find((l) => l.startsWith('cccd-station:'));
    expect(groupLine?.split(':')[3] ?? '').not.toContain('cccd-kiosk');

    const data = lstatSync(path.join(root, 'var/lib/cccd-station'));
    expect([modeOf(path.join(root, 'var/lib/cccd-station')), data.uid, data.gid]).toEqual(['700', uid, gid]);
    const etc = lstatSync(path.join(root, 'etc/cccd-station'));
    expect([modeOf(path.join(root, 'etc/cccd-station')), etc.uid, etc.gid]).toEqual(['750', 0, gid]);
    const configFile = path.join(root, 'etc/cccd-station/station.config.json');
    const config = lstatSync(configFile);
    expect([modeOf(configFile), config.uid, config.gid]).toEqual(['640', 0, gid]);
    expect(readFileSync(configFile, 'utf8')).toBe(
      readFileSync(path.join(ROOT, 'deploy/station.config.example.json'), 'utf8'),
    );

    const current = readlinkSync(path.join(root, 'opt/cccd-station/current'));
    expect(current).toBe(`releases/0.1.0-${(1_765_000_000_000).toString(36)}`);
    const release = path.join(root, 'opt/cccd-station', current);
    for (const [file, entry] of Object.entries(snapshot(release))) {
      expect([file, entry.uid, entry.gid]).toEqual([file, 0, 0]);
      // Nobody but root may change the application (a link's own mode means nothing).
      if (!entry.content.startsWith('->'))
        expect([file, Number.parseInt(entry.mode, 8) & 0o022]).toEqual([file, 0]);
    }
    expect(existsSync(path.join(release, 'dist/station/main.js'))).toBe(true);

    for (const [from, to] of [
      ['deploy/systemd/cccd-station.service', 'etc/systemd/system/cccd-station.service'],
      ['deploy/udev/70-cccd-station.rules', 'etc/udev/rules.d/70-cccd-station.rules'],
      ['deploy/sysusers.d/cccd-station.conf', 'usr/lib/sysusers.d/cccd-station.conf'],
      ['deploy/modules-load.d/cccd-station.conf', 'etc/modules-load.d/cccd-station.conf'],
      ['deploy/journald/cccd-station.conf', 'etc/systemd/journald.conf.d/cccd-station.conf'],
      ['deploy/kiosk/cccd-kiosk', 'usr/local/bin/cccd-kiosk'],
    ] as const)
      expect([to, readFileSync(path.join(root, to), 'utf8')]).toEqual([
        to,
        readFileSync(path.join(ROOT, from), 'utf8'),
      ]);
    // The kiosk unit only with --kiosk.
    expect(existsSync(path.join(root, 'etc/systemd/system/cccd-kiosk.service'))).toBe(false);
    expect(modeOf(path.join(root, 'usr/local/bin/cccd-kiosk'))).toBe('755');
    expect(modeOf(path.join(root, 'usr/local/bin/cccd-station'))).toBe('755');
  });

  it("writes the kiosk's policy and URL from the configuration: only the station's URL, no DevTools, no downloads", () => {
    const { root } = install('policy', 1_765_000_000_000);
    const policy = JSON.parse(
      readFileSync(path.join(root, 'etc/chromium/policies/managed/cccd-station.json'), 'utf8'),
    ) as Record<string, unknown>;
    expect(policy.URLBlocklist).toEqual(['*', 'chrome://*']);
    expect(policy.URLAllowlist).toEqual(['http://127.0.0.1:8080']);
    expect(policy.DeveloperToolsAvailability).toBe(2);
    expect(policy.DownloadRestrictions).toBe(3);
    expect(policy.PasswordManagerEnabled).toBe(false);
    expect(JSON.stringify(policy)).not.toContain('@STATION_URL@');
    expect(readFileSync(path.join(root, 'etc/cccd-station/kiosk.env'), 'utf8')).toMatch(
      /^STATION_URL=http:\/\/127\.0\.0\.1:8080$/m,
    );
    expect(modeOf(path.join(root, 'etc/chromium/policies/managed/cccd-station.json'))).toBe('644');
  });

  it('takes an HTTPS URL on loopback from a configuration with server.tls and a wildcard host', () => {
    const root = path.join(tmp.dir, 'tls', 'root');
    mkdirSync(path.join(root, 'etc/cccd-station'), { recursive: true });
    writeFileSync(
      path.join(root, 'etc/cccd-station/station.config.json'),
      JSON.stringify({
        server: {
          host: '0.0.0.0',
          port: 8443,
          tls: { certFile: 'tls/station.crt', keyFile: 'tls/station.key' },
        },
      }),
    );
    const app = fakeBuiltCheckout(path.join(tmp.dir, 'tls', 'app'), 1_765_000_000_000);
    const run = runInstall(['--root', root, '--app', app, '--kiosk']);
    expect(run.status).toBe(0);
    expect(readFileSync(path.join(root, 'etc/cccd-station/kiosk.env'), 'utf8')).toContain(
      'STATION_URL=https://127.0.0.1:8443\n',
    );
    const policy = JSON.parse(
      readFileSync(path.join(root, 'etc/chromium/policies/managed/cccd-station.json'), 'utf8'),
    ) as { URLAllowlist: string[] };
    expect(policy.URLAllowlist).toEqual(['https://127.0.0.1:8443']);
    expect(existsSync(path.join(root, 'etc/systemd/system/cccd-kiosk.service'))).toBe(true);
  });

  it('refuses a --url that is more than scheme, host and port', () => {
    const root = path.join(tmp.dir, 'bad-url', 'root');
    mkdirSync(root, { recursive: true });
    const app = fakeBuiltCheckout(path.join(tmp.dir, 'bad-url', 'app'), 1_765_000_000_000);
    for (const url of ['http://127.0.0.1:8080/x|y', 'ftp://127.0.0.1', 'http://a b:80']) {
      const run = runInstall(['--root', root, '--app', app, '--url', url]);
      expect([url, run.status]).toEqual([url, 1]);
      expect(run.stderr).toMatch(/scheme, host and port only/);
    }
  });

  it('refuses a checkout that was not built, naming npm run setup', () => {
    const root = path.join(tmp.dir, 'unbuilt', 'root');
    mkdirSync(root, { recursive: true });
    const app = path.join(tmp.dir, 'unbuilt', 'app');
    mkdirSync(app, { recursive: true });
    const run = runInstall(['--root', root, '--app', app]);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/dist\/station\/main\.js is missing: run 'npm run setup'/);
  });

  it('refuses a build older than its sources, naming the file and npm run build', () => {
    const root = path.join(tmp.dir, 'stale', 'root');
    mkdirSync(root, { recursive: true });
    // Built at 1_765_000_000_000 (December 2025); a source written now is newer.
    const app = fakeBuiltCheckout(path.join(tmp.dir, 'stale', 'app'), 1_765_000_000_000);
    mkdirSync(path.join(app, 'station'));
    writeFileSync(path.join(app, 'station/changed.ts'), 'export const x = 1;\n');
    const run = runInstall(['--root', root, '--app', app]);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(
      /not current \(stale: station\/changed\.ts changed after the build\): run 'npm run build'/,
    );
    expect(existsSync(path.join(root, 'opt'))).toBe(false);
  });

  it('changes nothing when run again, keeps an edited configuration and puts its mode back', () => {
    const { root, app } = install('again', 1_765_000_000_000);
    const configFile = path.join(root, 'etc/cccd-station/station.config.json');
    writeFileSync(configFile, '{ "stationId": "edited-by-the-operator" }\n');
    chmodSync(configFile, 0o644);
    const before = snapshot(root);
    const again = runInstall(['--root', root, '--app', app]);
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('already installed');
    const after = snapshot(root);
    expect(readFileSync(configFile, 'utf8')).toBe('{ "stationId": "edited-by-the-operator" }\n');
    expect(after['etc/cccd-station/station.config.json']?.mode).toBe('640');
    const { 'etc/cccd-station/station.config.json': _changed, ...restAfter } = after;
    const { 'etc/cccd-station/station.config.json': _was, ...restBefore } = before;
    expect(restAfter).toEqual(restBefore);
  });

  it('installs an update as a new release and keeps the one before it for a rollback, no older', () => {
    const { root } = install('update', 1_765_000_000_000);
    const releaseOf = (ms: number) => `releases/0.1.0-${ms.toString(36)}`;
    for (const ms of [1_765_100_000_000, 1_765_200_000_000]) {
      const app = fakeBuiltCheckout(path.join(tmp.dir, 'update', `app-${ms}`), ms);
      expect(runInstall(['--root', root, '--app', app]).status).toBe(0);
    }
    const opt = path.join(root, 'opt/cccd-station');
    expect(readlinkSync(path.join(opt, 'current'))).toBe(releaseOf(1_765_200_000_000));
    expect(readlinkSync(path.join(opt, 'previous'))).toBe(releaseOf(1_765_100_000_000));
    expect(readdirSync(path.join(opt, 'releases')).sort()).toEqual(
      [releaseOf(1_765_100_000_000), releaseOf(1_765_200_000_000)].map((r) => path.basename(r)).sort(),
    );
  });
});

describe('deploy/station.config.example.json', () => {
  it('is a configuration the station accepts in production', () => {
    const document = JSON.parse(readFileSync(path.join(ROOT, 'deploy/station.config.example.json'), 'utf8'));
    const config = parseConfig(document, { baseDir: '/etc/cccd-station' });
    expect(config.environment).toBe('production');
    expect(config.dataDir).toBe('/var/lib/cccd-station');
    expect(config.auth.required).toBe(true);
  });
});
