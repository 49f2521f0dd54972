import { describe, expect, it } from 'vitest';
import { isLoopbackHost, parseConfig } from '../../../station/config/load.ts';
import { ConfigError } from '../../../station/errors.ts';

const hardware = {
  environment: 'production',
  devices: {
    hotplug: { mode: 'hardware' },
    fingerprintHid: { mode: 'disabled' },
    fingerprintSerial: { mode: 'disabled' },
    cardReader: { mode: 'disabled' },
  },
  central: {
    mode: 'remote',
    url: 'https://central.example.test',
    tlsCa: 'ca.pem',
    statementCertificates: 's.pem',
  },
};

function problemKeys(document: unknown): string[] {
  try {
    parseConfig(document, { baseDir: '/' });
    return [];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return error.problems.map((p) => p.key);
  }
}

describe('auth configuration', () => {
  it('needs no session in test by default, and one in production', () => {
    expect(parseConfig({}, { baseDir: '/' }).auth).toEqual({
      required: false,
      idleLockMinutes: 10,
      sessionHours: 12,
      maxFailures: 10,
      lockoutMinutes: 15,
      allowedHosts: [],
    });
    expect(parseConfig(hardware, { baseDir: '/' }).auth.required).toBe(true);
  });

  it('refuses auth.required false in production', () => {
    expect(problemKeys({ ...hardware, auth: { required: false } })).toEqual(['/auth/required']);
  });

  it('refuses a non-loopback listen address in production (no TLS), and takes loopback ones', () => {
    expect(problemKeys({ ...hardware, server: { host: '0.0.0.0' } })).toEqual(['/server/host']);
    expect(problemKeys({ ...hardware, server: { host: '192.168.1.20' } })).toEqual(['/server/host']);
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', '0:0:0:0:0:0:0:1'])
      expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ['0.0.0.0', '::', '128.0.0.1', '127.0.0.256', 'localhost.example', '::2'])
      expect(isLoopbackHost(host), host).toBe(false);
    // The test environment may listen anywhere (a tester's LAN).
    expect(problemKeys({ server: { host: '0.0.0.0' } })).toEqual([]);
  });

  it('takes a network listen address in production once TLS is configured, its files relative to the config', () => {
    const tls = { certFile: 'tls/station.crt', keyFile: 'tls/station.key' };
    expect(problemKeys({ ...hardware, server: { host: '0.0.0.0', tls } })).toEqual([]);
    const config = parseConfig(
      { ...hardware, server: { host: '192.168.1.20', tls } },
      { baseDir: '/etc/cccd' },
    );
    expect(config.server.tls).toEqual({
      certFile: '/etc/cccd/tls/station.crt',
      keyFile: '/etc/cccd/tls/station.key',
    });
    expect(problemKeys({ server: { tls: { certFile: 'a.crt' } } })).toEqual(['/server/tls/keyFile']);
  });

  it('checks the ranges and host names', () => {
    expect(problemKeys({ auth: { idleLockMinutes: 0 } })).toEqual(['/auth/idleLockMinutes']);
    expect(problemKeys({ auth: { sessionHours: 25 } })).toEqual(['/auth/sessionHours']);
    expect(problemKeys({ auth: { maxFailures: 2 } })).toEqual(['/auth/maxFailures']);
    expect(problemKeys({ auth: { allowedHosts: ['station-07.local', '10.0.0.5'] } })).toEqual([]);
    expect(problemKeys({ auth: { allowedHosts: ['Station:8080'] } })).toEqual(['/auth/allowedHosts/0']);
    expect(problemKeys({ auth: { unknown: 1 } })).toEqual(['/auth/unknown']);
  });
});
