/**
 * The station's and the kiosk's systemd units: `systemd-analyze verify` in a root staged by
 * deploy/install.sh (so ExecStart names a real file), `systemd-analyze security --offline=true` with
 * an exposure bound, and the settings the station cannot run without (or must never have).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeBuiltCheckout, ROOT, requireCommand, requireRoot, runInstall } from '../../support/deploy.ts';
import { tempDir } from '../../support/station.ts';

const STATION_UNIT = path.join(ROOT, 'deploy/systemd/cccd-station.service');
const KIOSK_UNIT = path.join(ROOT, 'deploy/systemd/cccd-kiosk.service');
/** Overall exposure the station's unit must stay at or under (systemd-analyze's 0.0 to 10.0 scale). */
const STATION_EXPOSURE_MAX = 2.0;
/** The kiosk keeps what Chromium's own sandbox and the seat need; a bound so it only gets better. */
const KIOSK_EXPOSURE_MAX = 6.0;

let tmp: ReturnType<typeof tempDir>;
let root: string;

function analyze(args: readonly string[]) {
  // cwd: the staged root, so no unit of the checkout's folder is picked up by name.
  const run = spawnSync('systemd-analyze', args, { encoding: 'utf8', cwd: tmp.dir, timeout: 60_000 });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

function exposure(unitFile: string): number {
  const { output } = analyze(['security', '--offline=true', unitFile]);
  const match = /Overall exposure level for \S+: (\d+\.\d+)/.exec(output);
  if (match?.[1] === undefined) throw new Error(`no exposure level in:\n${output}`);
  return Number(match[1]);
}

/** `KEY=value` settings of a unit file, every value of a repeated key in order. */
function settings(unitFile: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const line of readFileSync(unitFile, 'utf8').split('\n')) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (m?.[1] === undefined || m[2] === undefined) continue;
    map.set(m[1], [...(map.get(m[1]) ?? []), m[2]]);
  }
  return map;
}

beforeAll(() => {
  requireRoot('the systemd unit checks (a staged install)');
  requireCommand('systemd-analyze', 'systemd');
  tmp = tempDir('deploy-systemd-');
  root = path.join(tmp.dir, 'root');
  mkdirSync(root, { recursive: true });
  const app = fakeBuiltCheckout(path.join(tmp.dir, 'app'), 1_765_000_000_000);
  const run = runInstall(['--root', root, '--app', app, '--kiosk']);
  if (run.status !== 0) throw new Error(`install.sh failed:\n${run.stdout}${run.stderr}`);
  // verify loads the units ours depend on (sysinit.target, pcscd.socket, ...) from the root: the
  // system's own. cage is not part of the test setup: a stand-in executable, since verify checks the
  // unit (that ExecStart names an executable), not the compositor.
  cpSync('/usr/lib/systemd/system', path.join(root, 'usr/lib/systemd/system'), { recursive: true });
  mkdirSync(path.join(root, 'usr/bin'), { recursive: true });
  writeFileSync(path.join(root, 'usr/bin/cage'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
});

afterAll(() => tmp?.remove());

describe('systemd-analyze verify', () => {
  it.each([['cccd-station.service'], ['cccd-kiosk.service']])(
    'finds nothing to say about %s as installed',
    (unit) => {
      const { status, output } = analyze(['verify', `--root=${root}`, `/etc/systemd/system/${unit}`]);
      expect(output).toBe('');
      expect(status).toBe(0);
    },
  );

  it('speaks up about a misspelt setting, a bad value and a missing executable (the check can fail)', () => {
    const broken = readFileSync(STATION_UNIT, 'utf8')
      .replace('DeviceAllow=char-hidraw rw', 'DeviceAlow=char-hidraw rw')
      .replace('ProtectSystem=strict', 'ProtectSystem=stricter')
      .replace(/^ExecStart=\S+/m, 'ExecStart=/opt/cccd-station/current/scripts/no-such-launcher');
    writeFileSync(path.join(root, 'etc/systemd/system/cccd-broken.service'), broken);
    const { output } = analyze(['verify', `--root=${root}`, '/etc/systemd/system/cccd-broken.service']);
    expect(output).toContain("Unknown key 'DeviceAlow'");
    expect(output).toMatch(/protect system value.*stricter/i);
    expect(output).toMatch(/no-such-launcher is not executable/);
  });
});

describe('systemd-analyze security --offline=true', () => {
  it(`rates the station's unit at an exposure of ${STATION_EXPOSURE_MAX} or less`, () => {
    const level = exposure(STATION_UNIT);
    process.stderr.write(`cccd-station.service: overall exposure ${level}\n`);
    expect(level).toBeLessThanOrEqual(STATION_EXPOSURE_MAX);
    // systemd's own threshold option agrees (its scale is tenths: 20 = 2.0).
    const { status } = analyze([
      'security',
      '--offline=true',
      `--threshold=${Math.round(STATION_EXPOSURE_MAX * 10)}`,
      STATION_UNIT,
    ]);
    expect(status).toBe(0);
  });

  it('fails the threshold for a unit without hardening (the bound means something)', () => {
    const bare = path.join(tmp.dir, 'bare.service');
    writeFileSync(bare, '[Service]\nExecStart=/bin/true\n');
    expect(exposure(bare)).toBeGreaterThan(9);
    expect(analyze(['security', '--offline=true', '--threshold=20', bare]).status).not.toBe(0);
  });

  it(`rates the kiosk's unit at ${KIOSK_EXPOSURE_MAX} or less`, () => {
    const level = exposure(KIOSK_UNIT);
    process.stderr.write(`cccd-kiosk.service: overall exposure ${level}\n`);
    expect(level).toBeLessThanOrEqual(KIOSK_EXPOSURE_MAX);
  });
});

describe("the station's unit", () => {
  const unit = settings(STATION_UNIT);
  const one = (key: string) => unit.get(key)?.join(' ');

  it('runs the compiled station that npm start runs, as its own user, restarted on failure', () => {
    const start = (
      JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }
    ).scripts.start;
    expect(start).toContain('dist/station/main.js');
    expect(one('ExecStart')).toMatch(/\/scripts\/with-runtime node .*\/dist\/station\/main\.js$/);
    expect(one('User')).toBe('cccd-station');
    expect(one('Restart')).toBe('on-failure');
    expect(one('StateDirectory')).toBe('cccd-station');
    expect(one('Environment')).toContain('STATION_CONFIG=/etc/cccd-station/station.config.json');
  });

  it('never has the settings that break Node.js or hide the devices', () => {
    // V8 and WebAssembly write machine code at run time; PrivateDevices hides /dev/hidraw*, /dev/ttyUSB*, /dev/video*.
    for (const key of ['MemoryDenyWriteExecute', 'PrivateDevices', 'DynamicUser'])
      expect(unit.has(key)).toBe(false);
  });

  it('opens exactly the device families the station uses, behind a closed device policy', () => {
    expect(one('DevicePolicy')).toBe('closed');
    expect(unit.get('DeviceAllow')).toEqual([
      'char-hidraw rw',
      'char-ttyUSB rw',
      'char-ttyACM rw',
      'char-video4linux rw',
      'char-usb_device rw',
    ]);
  });

  it('keeps the sockets the devices need (netlink for libusb hot-plug, unix for pcscd) and the pcscd dependency', () => {
    expect(one('RestrictAddressFamilies')?.split(/\s+/).sort()).toEqual(
      ['AF_INET', 'AF_INET6', 'AF_NETLINK', 'AF_UNIX'].sort(),
    );
    expect(one('Wants')).toContain('pcscd.socket');
    expect(one('After')).toContain('pcscd.socket');
  });

  it('drops every capability and privilege', () => {
    expect(unit.get('CapabilityBoundingSet')).toEqual(['']);
    expect(one('NoNewPrivileges')).toBe('yes');
    expect(one('ProtectSystem')).toBe('strict');
    expect(one('ProtectHome')).toBe('yes');
    expect(one('SystemCallFilter')).toContain('@system-service');
  });
});
