/**
 * The audit trail's routes for the administrator's screen: GET /audit gives the chain's head;
 * POST /audit/verify verifies the station's whole log as `station audit verify` does, and catches
 * an edited line, a log cut back before central's anchor, and a log behind the station's own mark.
 */
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openAnchorStore } from '../../../station/audit/anchor.ts';
import { type AuditTrail, auditLogFile, openAuditTrail } from '../../../station/audit/trail.ts';
import { verifyStationAudit } from '../../../station/audit/verify.ts';
import { auditRoutes } from '../../../station/plugins/audit.ts';

let dataDir: string;
let app: FastifyInstance;
let trail: AuditTrail | undefined;
const clock = { now: () => Date.parse('2026-12-07T08:00:00.000Z') };

async function openWith(n: number): Promise<AuditTrail> {
  const opened = await openAuditTrail({ dataDir, clock });
  for (let i = 0; i < n; i++)
    await opened.record({ actor: 'adm-1', action: 'account.created', outcome: 'ok', details: { i } });
  return opened;
}

async function serve(current: AuditTrail): Promise<FastifyInstance> {
  const server = Fastify();
  await server.register(
    auditRoutes({ head: () => current.head(), verify: () => verifyStationAudit(dataDir) }),
  );
  return server;
}

beforeEach(async () => {
  dataDir = await fs.mkdtemp(path.join(tmpdir(), 'audit-routes-'));
});
afterEach(async () => {
  await app?.close();
  await trail?.close();
  trail = undefined;
  await fs.rm(dataDir, { recursive: true, force: true });
});

describe('GET /audit and POST /audit/verify', () => {
  it('gives the head, and verifies an intact log', async () => {
    trail = await openWith(3);
    app = await serve(trail);
    const head = (await app.inject('/audit')).json();
    expect(head).toEqual({ head: { seq: trail.head().seq, head: trail.head().head } });
    expect(head.head.seq).toBeGreaterThanOrEqual(3);
    const verified = await app.inject({ method: 'POST', url: '/audit/verify' });
    expect(verified.statusCode, verified.body).toBe(200);
    expect(verified.json()).toMatchObject({
      intact: true,
      entries: trail.head().seq,
      head: trail.head(),
      anchor: null,
    });
    expect(verified.json().break).toBeUndefined();
  });

  it('catches an edited line with its line number', async () => {
    trail = await openWith(4);
    app = await serve(trail);
    const log = auditLogFile(dataDir);
    const lines = (await fs.readFile(log, 'utf8')).split('\n');
    lines[2] = (lines[2] ?? '').replace('"outcome":"ok"', '"outcome":"refused"');
    await fs.writeFile(log, lines.join('\n'));
    const verified = (await app.inject({ method: 'POST', url: '/audit/verify' })).json();
    expect(verified).toMatchObject({ intact: false, break: { line: 3, kind: 'edited' } });
  });

  it("refuses a log cut back before central's anchor", async () => {
    trail = await openWith(1);
    await trail.close();
    const backup = await fs.readFile(auditLogFile(dataDir));
    trail = await openAuditTrail({ dataDir, clock });
    const acknowledged = await trail.record({ actor: 'station', action: 'packet.built', outcome: 'ok' });
    await openAnchorStore(dataDir).record({
      ...acknowledged,
      packetId: 'p-1',
      receivedAt: '2026-12-07T08:00:00.000Z',
    });
    app = await serve(trail);
    expect((await app.inject({ method: 'POST', url: '/audit/verify' })).json()).toMatchObject({
      intact: true,
      anchor: { seq: acknowledged.seq, held: true },
    });
    await fs.writeFile(auditLogFile(dataDir), backup);
    expect((await app.inject({ method: 'POST', url: '/audit/verify' })).json()).toMatchObject({
      intact: false,
      anchor: { seq: acknowledged.seq, held: false },
      break: { kind: 'truncated' },
    });
  });

  it("refuses a valid log that ends before the station's own verified mark", async () => {
    trail = await openWith(1);
    await trail.close();
    const backup = await fs.readFile(auditLogFile(dataDir));
    trail = await openWith(2);
    await trail.close();
    await fs.writeFile(auditLogFile(dataDir), backup);
    trail = undefined;
    const stale = { head: () => ({ seq: 0, head: '' }) } as unknown as AuditTrail;
    app = await serve(stale);
    expect((await app.inject({ method: 'POST', url: '/audit/verify' })).json()).toMatchObject({
      intact: false,
      verifiedMark: { held: false },
    });
  });
});
