/**
 * POST /outbox/probe: the administrator's "check central now" asks the uploader to probe at once
 * (and to look at the outbox), and answers the uploader's state as it is when asked.
 */
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import type { Outbox } from '../../../station/outbox/outbox.ts';
import { outboxRoutes } from '../../../station/plugins/outbox.ts';
import type { UploaderState } from '../../../station/uploader/index.ts';

function uploaderFake(state: UploaderState) {
  const calls: string[] = [];
  return {
    calls,
    uploader: {
      snapshot: () => state,
      subscribe: () => () => {},
      wake: () => calls.push('wake'),
      probeNow: () => calls.push('probeNow'),
    },
  };
}

async function appWith(fake: ReturnType<typeof uploaderFake>) {
  const app = Fastify();
  await app.register(
    outboxRoutes({
      outbox: {} as unknown as Outbox,
      uploader: fake.uploader,
      clock: { now: () => 0, monotonic: () => 0 } as never,
      stationId: 'station-1',
      environment: 'test',
      statementKeys: [],
      verifySignature: async () => false,
      centralStatus: async () => ({ status: 404, body: new Uint8Array() }),
    }),
  );
  return app;
}

describe('POST /outbox/probe', () => {
  it('asks the uploader to probe central now and answers its state', async () => {
    const state: UploaderState = {
      running: true,
      online: false,
      offlineSince: 1_800_000_000_000,
      queueDepth: 3,
      lastSuccessAt: null,
      uploading: [],
    };
    const fake = uploaderFake(state);
    const app = await appWith(fake);
    const answer = await app.inject({ method: 'POST', url: '/outbox/probe' });
    expect(answer.statusCode, answer.body).toBe(200);
    expect(answer.json()).toEqual({ uploader: state });
    expect(fake.calls).toEqual(['probeNow', 'wake']);
    await app.close();
  });
});
