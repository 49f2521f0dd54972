import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type FoldOutcome,
  foldReport,
  frameMessage,
  IDLE,
  MAX_MESSAGE,
  type Message,
  type Reassembly,
  reportCount,
} from '../../../protocol/scanner/framing.ts';

const seed = Number(process.env.FC_SEED ?? 20261122);

function reassemble(reports: readonly Uint8Array[], size: number, cid?: number) {
  let state: Reassembly = IDLE;
  const messages: Message[] = [];
  const errors: FoldOutcome[] = [];
  for (const report of reports) {
    const outcome = foldReport(state, report, { size, cid });
    state = outcome.state;
    if (outcome.kind === 'message') messages.push(outcome.message);
    if (outcome.kind === 'error') errors.push(outcome);
  }
  return { messages, errors, state };
}

describe('framing layout', () => {
  it('puts CID, CMD and BCNT in the init report and SEQ in continuations (README section 3)', () => {
    const payload = Uint8Array.from({ length: 64 - 9 + 10 }, (_, i) => i);
    const reports = frameMessage({ cid: 0x01020304, cmd: 0x85, payload }, 64);
    expect(reports).toHaveLength(2);
    const [init, cont] = reports as [Uint8Array, Uint8Array];
    expect([...init.subarray(0, 9)]).toEqual([1, 2, 3, 4, 0x85, 0, 0, 0, 65]);
    expect(init[9]).toBe(0);
    expect(init[63]).toBe(54);
    expect([...cont.subarray(0, 8)]).toEqual([1, 2, 3, 4, 0, 0, 0, 0]);
    expect([...cont.subarray(8, 18)]).toEqual([55, 56, 57, 58, 59, 60, 61, 62, 63, 64]);
    // The rest of the last report is zero padding.
    expect(cont.subarray(18).every((b) => b === 0)).toBe(true);
  });

  it.each([
    [0, 64, 1],
    [55, 64, 1],
    [56, 64, 2],
    [55 + 56, 64, 2],
    [55 + 57, 64, 3],
    [1015, 1024, 1],
    [1016, 1024, 2],
    [1600 * 1500 + 200, 1024, 2363],
  ])('a %s-byte message needs the right number of %s-byte reports', (length, size, count) => {
    expect(reportCount(length, size)).toBe(count);
    if (length < 100_000)
      expect(frameMessage({ cid: 7, cmd: 0x81, payload: new Uint8Array(length) }, size)).toHaveLength(count);
  });

  it('refuses messages above the maximum and commands without bit 7', () => {
    expect(() => frameMessage({ cid: 1, cmd: 0x85, payload: new Uint8Array(MAX_MESSAGE + 1) }, 1024)).toThrow(
      RangeError,
    );
    expect(() => frameMessage({ cid: 1, cmd: 0x05, payload: new Uint8Array(1) }, 64)).toThrow(RangeError);
  });
});

describe('reassembly', () => {
  it('round-trips any message at both report sizes', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(64, 1024),
        fc.integer({ min: 1, max: 0xfffffffe }),
        fc.integer({ min: 0x80, max: 0xff }),
        fc.uint8Array({ maxLength: 5000 }),
        (size, cid, cmd, payload) => {
          const { messages, errors, state } = reassemble(frameMessage({ cid, cmd, payload }, size), size);
          expect(errors).toEqual([]);
          expect(state.status).toBe('idle');
          expect(messages).toHaveLength(1);
          expect(messages[0]?.cid).toBe(cid);
          expect(messages[0]?.cmd).toBe(cmd);
          expect([...(messages[0]?.payload ?? [])]).toEqual([...payload]);
        },
      ),
      { seed, numRuns: 200 },
    );
  });

  it('drops reports for other channels and keeps assembling its own', () => {
    const mine = frameMessage({ cid: 5, cmd: 0x85, payload: new Uint8Array(300).fill(9) }, 64);
    const other = frameMessage({ cid: 6, cmd: 0x85, payload: new Uint8Array(10) }, 64);
    const interleaved = [mine[0], other[0], ...mine.slice(1)] as Uint8Array[];
    const { messages } = reassemble(interleaved, 64, 5);
    expect(messages).toHaveLength(1);
    expect(messages[0]?.payload.every((b) => b === 9)).toBe(true);
  });

  it.each([
    [
      'a short report',
      (r: Uint8Array[]) => [r[0] as Uint8Array, (r[1] as Uint8Array).subarray(0, 40)],
      'truncated',
    ],
    ['a duplicated continuation', (r: Uint8Array[]) => [r[0], r[1], r[1]] as Uint8Array[], 'invalid-value'],
    [
      'an out-of-order continuation',
      (r: Uint8Array[]) => [r[0], r[2], r[1]] as Uint8Array[],
      'invalid-value',
    ],
    ['a continuation without an init', (r: Uint8Array[]) => [r[1]] as Uint8Array[], 'invalid-value'],
  ])('reports %s as %s and resets', (_name, mutate, reason) => {
    const reports = frameMessage({ cid: 9, cmd: 0x85, payload: new Uint8Array(400) }, 64);
    const { messages, errors, state } = reassemble(mutate(reports), 64);
    expect(messages).toEqual([]);
    expect(errors[0]?.kind === 'error' && errors[0].error.reason).toBe(reason);
    expect(state.status).toBe('idle');
  });

  it('refuses a BCNT above the maximum before allocating', () => {
    const init = new Uint8Array(64);
    const v = new DataView(init.buffer);
    v.setUint32(0, 3);
    init[4] = 0x85;
    v.setUint32(5, MAX_MESSAGE + 1);
    const outcome = foldReport(IDLE, init, { size: 64 });
    expect(outcome.kind === 'error' && outcome.error.reason).toBe('too-large');
  });

  it('recovers after an error: the next message gets through', () => {
    const bad = frameMessage({ cid: 2, cmd: 0x85, payload: new Uint8Array(200) }, 64);
    const good = frameMessage({ cid: 2, cmd: 0x82, payload: Uint8Array.of(1, 2, 3) }, 64);
    const { messages } = reassemble([bad[0], bad[2], ...good] as Uint8Array[], 64);
    expect(messages.map((m) => m.cmd)).toEqual([0x82]);
  });

  it('never throws on random report streams and never holds more than the bound', () => {
    const maxMessage = 4096;
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.uint8Array({ minLength: 64, maxLength: 64 }),
            fc.uint8Array({ maxLength: 80 }),
            // Valid-looking init and continuation headers with random lengths and sequences.
            fc.tuple(fc.integer({ min: 0, max: 3 }), fc.boolean(), fc.nat()).map(([cid, init, n]) => {
              const r = new Uint8Array(64);
              const v = new DataView(r.buffer);
              v.setUint32(0, cid);
              if (init) {
                r[4] = 0x85;
                v.setUint32(5, n);
              } else v.setUint32(4, n % 8);
              return r;
            }),
          ),
          { maxLength: 60 },
        ),
        (reports) => {
          let state: Reassembly = IDLE;
          for (const report of reports) {
            const outcome = foldReport(state, report, { size: 64, maxMessage });
            state = outcome.state;
            if (state.status === 'receiving') expect(state.buffer.length).toBeLessThanOrEqual(maxMessage);
            if (outcome.kind === 'message')
              expect(outcome.message.payload.length).toBeLessThanOrEqual(maxMessage);
          }
        },
      ),
      { seed, numRuns: 300 },
    );
  });
});
