/**
 * HTTPS on the station's own socket (server.tls): the startup gate serves TLS with the configured
 * certificate, and runStation refuses, before binding anything, a certificate file it cannot read or
 * a key that is not the certificate's, naming the setting. Credentials are made by openssl here.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { request } from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../station/errors.ts';
import { runStation } from '../../../station/run.ts';
import { openStartupGate } from '../../../station/startup-gate.ts';
import { tempDir } from '../../support/station.ts';

const tmp = tempDir('server-tls-');
afterAll(() => tmp.remove());

/** A self-signed P-256 certificate for localhost and 127.0.0.1, and its key (PEM files). */
function credential(name: string): { cert: string; key: string } {
  const cert = path.join(tmp.dir, `${name}.crt`);
  const key = path.join(tmp.dir, `${name}.key`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-days',
      '2',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  return { cert, key };
}

function getOverTls(port: number, ca: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/health', ca, servername: 'localhost' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function startFailure(server: Record<string, unknown>): Promise<ConfigError> {
  const file = path.join(tmp.dir, `config-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(
    file,
    JSON.stringify({ dataDir: tmp.dir, server: { host: '127.0.0.1', port: 0, ...server } }),
  );
  const error = await runStation({ env: { STATION_CONFIG: file }, cwd: tmp.dir }).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof ConfigError)) throw new Error(`expected a ConfigError, got ${String(error)}`);
  return error;
}

describe('server TLS', () => {
  it('the startup gate answers over TLS with the configured certificate, and a client that trusts it', async () => {
    const { cert, key } = credential('good');
    const { readFileSync } = await import('node:fs');
    const gate = await openStartupGate('127.0.0.1', 0, {
      version: '1',
      environment: 'test',
      stationId: 's',
      tls: { cert: readFileSync(cert), key: readFileSync(key) },
    });
    try {
      const port = (gate.server.address() as AddressInfo).port;
      const answer = await getOverTls(port, readFileSync(cert));
      expect(answer.status).toBe(200);
      expect(JSON.parse(answer.body)).toMatchObject({ status: 'starting' });
      // Plain HTTP on the TLS port gets no answer from the station.
      await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
    } finally {
      await gate.close();
    }
  });

  it('refuses to start with an unreadable certificate file or a key that is not the certificate’s', async () => {
    const good = credential('pair');
    const other = credential('other');
    const missing = await startFailure({ tls: { certFile: 'nowhere.crt', keyFile: good.key } });
    expect(missing.code).toBe('CONFIG_INVALID');
    expect(missing.problems.map((p) => p.key)).toEqual(['/server/tls/certFile']);
    expect(missing.message).toContain('nowhere.crt');
    const mismatched = await startFailure({ tls: { certFile: good.cert, keyFile: other.key } });
    expect(mismatched.problems.map((p) => p.key)).toEqual(['/server/tls']);
    expect(mismatched.message).toMatch(/key must be the certificate/);
    const notPem = path.join(tmp.dir, 'not.pem');
    writeFileSync(notPem, 'not a certificate');
    const garbage = await startFailure({ tls: { certFile: notPem, keyFile: good.key } });
    expect(garbage.problems.map((p) => p.key)).toEqual(['/server/tls']);
  });
});
