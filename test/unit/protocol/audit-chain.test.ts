/**
 * The audit chain (issue 21, Build 8): canonical form (RFC 8785) reproduced by hand, the chain rule,
 * and the verifier's first break with its line and kind for an edited, deleted, reordered, torn or
 * truncated log; anchors; checkpoints; random bytes only ever give a typed result.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AuditAnchor,
  type AuditEntry,
  type AuditRecord,
  canonicalJson,
  chainEntry,
  checkpointDetails,
  checkpointSigningInput,
  EMPTY_ANCHOR,
  entryLine,
  GENESIS_HEAD,
  MAX_LINE_BYTES,
  pseudonymInput,
  recordProblem,
  type Sha256,
  verifyChain,
} from '../../../protocol/audit/index.ts';

const seed = Number(process.env.FC_SEED ?? 20261122);
const sha256: Sha256 = async (data) => new Uint8Array(createHash('sha256').update(data).digest());
const sha256Hex = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const utf8 = new TextEncoder();

function record(i: number, extra: Partial<AuditRecord> = {}): AuditRecord {
  return {
    time: `2026-12-07T10:00:${String(i % 60).padStart(2, '0')}.000Z`,
    actor: i % 2 === 0 ? 'station' : 'officer-7',
    action: 'enrollment.step',
    subject: { session: 'ab'.repeat(32) },
    outcome: 'ok',
    details: { step: i, note: 'Nguyễn' },
    ...extra,
  };
}

async function chain(n: number): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  let at: AuditAnchor = EMPTY_ANCHOR;
  for (let i = 1; i <= n; i++) {
    const entry = await chainEntry(at, record(i), sha256);
    out.push(entry);
    at = { seq: entry.seq, head: entry.hash };
  }
  return out;
}

const file = (lines: readonly string[]) => utf8.encode(lines.map((l) => `${l}\n`).join(''));
const verify = (bytes: Uint8Array, anchor?: AuditAnchor) =>
  verifyChain([bytes], { sha256, ...(anchor ? { anchor } : {}) });

describe('canonical form and the chain rule', () => {
  it('hashes the RFC 8785 text of the entry without hash, which a third party can write by hand', async () => {
    const entry = await chainEntry(
      EMPTY_ANCHOR,
      {
        time: '2026-12-07T10:00:00.000Z',
        actor: 'station',
        action: 'audit.opened',
        subject: {},
        outcome: 'ok',
        details: { format: 1, é: null } as never,
      },
      sha256,
    ).catch((error: Error) => error);
    // A non-ASCII key is refused by the details key pattern: keys stay ASCII.
    expect(entry).toBeInstanceOf(TypeError);

    const first = await chainEntry(
      EMPTY_ANCHOR,
      {
        time: '2026-12-07T10:00:00.000Z',
        actor: 'station',
        action: 'audit.opened',
        subject: {},
        outcome: 'ok',
        details: { format: 1, Zeta: 'Đà Nẵng "x"', alpha: true },
      },
      sha256,
    );
    // Written out by hand per RFC 8785 §3.2.3: members sorted by UTF-16 code units ('Z' < 'a').
    const byHand =
      '{"action":"audit.opened","actor":"station","details":{"Zeta":"Đà Nẵng \\"x\\"","alpha":true,"format":1},' +
      `"outcome":"ok","prev":"${GENESIS_HEAD}","seq":1,"subject":{},"time":"2026-12-07T10:00:00.000Z"}`;
    expect(first.hash).toBe(sha256Hex(byHand));
    expect(first.seq).toBe(1);
    expect(first.prev).toBe(GENESIS_HEAD);
    const line = entryLine(first);
    expect(line).toBe(
      `${byHand.slice(0, byHand.indexOf(',"outcome"'))},"hash":"${first.hash}"${byHand.slice(byHand.indexOf(',"outcome"'))}`,
    );
    const second = await chainEntry({ seq: 1, head: first.hash }, record(2), sha256);
    expect(second.prev).toBe(first.hash);
    expect(second.seq).toBe(2);
  });

  it('canonicalJson sorts nested keys and refuses what RFC 8785 would write differently', () => {
    expect(canonicalJson({ b: { d: 1, c: null }, a: 'x' })).toBe('{"a":"x","b":{"c":null,"d":1}}');
    expect(() => canonicalJson(1.5)).toThrow(TypeError);
    expect(() => canonicalJson('\ud800')).toThrow(TypeError);
    expect(() => canonicalJson([] as never)).toThrow(TypeError);
  });

  it('refuses records that would carry a citizen id or a clear identifier', () => {
    expect(recordProblem(record(1, { details: { id: 'CCCD 001099012345' } }))).toMatch(/twelve digits/);
    expect(recordProblem(record(1, { subject: { citizen: '001099012345' } }))).toMatch(/pseudonym/);
    expect(recordProblem(record(1, { subject: { nobody: 'ab'.repeat(32) } as never }))).toMatch(/not known/);
    expect(recordProblem(record(1, { action: 'Login' }))).toMatch(/stable code/);
    expect(recordProblem(record(1, { time: '2026-12-07T10:00:00Z' }))).toMatch(/time/);
    expect(recordProblem(record(1))).toBeUndefined();
    // Digits inside a digest or a signature are not an id: they sit between letters and digits.
    expect(recordProblem(record(1, { details: { sha: `a001099012345${'b'.repeat(51)}` } }))).toBeUndefined();
    expect(recordProblem(record(1, { details: { id: 'id=001099012345;' } }))).toMatch(/twelve digits/);
  });

  it('pseudonym inputs separate kinds and refuse the officer kind', () => {
    expect(new TextDecoder().decode(pseudonymInput('citizen', '001099012345'))).toBe(
      'cccd-audit-pseudonym:v1:citizen:001099012345',
    );
    expect(pseudonymInput('packet', 'x')).not.toEqual(pseudonymInput('document', 'x'));
    expect(() => pseudonymInput('officer' as never, 'x')).toThrow(TypeError);
  });
});

describe('verifyChain finds the first break', () => {
  it('accepts an intact chain and reports its head', async () => {
    const entries = await chain(6);
    const result = await verify(file(entries.map(entryLine)));
    expect(result.ok).toBe(true);
    expect(result.head).toEqual({ seq: 6, head: entries[5]?.hash });
    expect(result.lines).toBe(6);
  });

  it('an empty log is an empty chain', async () => {
    const result = await verify(new Uint8Array(0));
    expect(result).toMatchObject({ ok: true, head: EMPTY_ANCHOR, lines: 0 });
  });

  it('an edited line: its hash no longer matches (line 3, edited)', async () => {
    const lines = (await chain(5)).map(entryLine);
    lines[2] = (lines[2] ?? '').replace('"outcome":"ok"', '"outcome":"failed"');
    const result = await verify(file(lines));
    expect(result).toMatchObject({ ok: false, break: { kind: 'edited', line: 3, seq: 3 } });
    expect(result.head.seq).toBe(2);
  });

  it('an edited line whose hash was recomputed breaks the next link (line 4, edited)', async () => {
    const entries = await chain(5);
    const original = entries[2] as AuditEntry;
    const forged = await chainEntry(
      { seq: 2, head: original.prev },
      { ...record(3), outcome: 'refused' },
      sha256,
    );
    const lines = entries.map(entryLine);
    lines[2] = entryLine(forged);
    const result = await verify(file(lines));
    expect(result).toMatchObject({ ok: false, break: { kind: 'edited', line: 4 } });
  });

  it('whitespace or key order changes are edits too (not canonical)', async () => {
    const lines = (await chain(3)).map(entryLine);
    lines[1] = (lines[1] ?? '').replace('{"action"', '{ "action"');
    const result = await verify(file(lines));
    expect(result).toMatchObject({ ok: false, break: { kind: 'edited', line: 2 } });
  });

  it('a deleted line (line 3 shows seq 4: deleted)', async () => {
    const lines = (await chain(5)).map(entryLine);
    lines.splice(2, 1);
    const result = await verify(file(lines));
    expect(result).toMatchObject({ ok: false, break: { kind: 'deleted', line: 3, seq: 3 } });
  });

  it('reordered lines (3 and 4 swapped: reordered at line 3)', async () => {
    const lines = (await chain(5)).map(entryLine);
    [lines[2], lines[3]] = [lines[3] ?? '', lines[2] ?? ''];
    const result = await verify(file(lines));
    expect(result).toMatchObject({ ok: false, break: { kind: 'reordered', line: 3 } });
  });

  it('a duplicated line is reordered (its seq goes back)', async () => {
    const lines = (await chain(4)).map(entryLine);
    lines.splice(2, 0, lines[1] ?? '');
    const result = await verify(file(lines));
    expect(result).toMatchObject({ ok: false, break: { kind: 'reordered', line: 3 } });
  });

  it('bad JSON and a non-entry object', async () => {
    const lines = (await chain(3)).map(entryLine);
    expect(await verify(file([lines[0] ?? '', '{"seq":'])).then((r) => !r.ok && r.break)).toMatchObject({
      kind: 'bad-json',
      line: 2,
    });
    expect(await verify(file([lines[0] ?? '', '{"seq":2}'])).then((r) => !r.ok && r.break)).toMatchObject({
      kind: 'malformed',
      line: 2,
    });
    expect(await verify(file([lines[0] ?? '', ''])).then((r) => !r.ok && r.break)).toMatchObject({
      kind: 'bad-json',
      line: 2,
    });
    const long = await verify(file([lines[0] ?? '', 'x'.repeat(MAX_LINE_BYTES + 1)]));
    expect(long).toMatchObject({ ok: false, break: { kind: 'bad-json', line: 2 } });
  });

  it('a torn last line is reported apart, not as a break', async () => {
    const lines = (await chain(3)).map(entryLine);
    const whole = file(lines);
    const torn = new Uint8Array([...whole, ...utf8.encode('{"action":"enrollment.st')]);
    const result = await verify(torn);
    expect(result.ok).toBe(true);
    expect(result.tornTail).toEqual({ line: 4, offset: whole.length, length: 24 });
    expect(result.verifiedBytes).toBe(whole.length);
    // A whole entry missing only its newline is torn too: its append never became durable.
    const noNewline = utf8.encode(`${lines[0]}\n${lines[1]}`);
    expect((await verify(noNewline)).tornTail).toMatchObject({ line: 2 });
  });

  it('reads lines split across any chunk boundaries', async () => {
    const bytes = file((await chain(4)).map(entryLine));
    const chunks = Array.from({ length: Math.ceil(bytes.length / 7) }, (_, i) =>
      bytes.subarray(i * 7, i * 7 + 7),
    );
    const result = await verifyChain(chunks, { sha256 });
    expect(result).toMatchObject({ ok: true, lines: 4 });
  });
});

describe('anchors: what central acknowledged must still be there', () => {
  it('holds when the chain contains the anchor (same seq, same hash)', async () => {
    const entries = await chain(5);
    const anchor = { seq: 3, head: entries[2]?.hash ?? '' };
    const result = await verify(file(entries.map(entryLine)), anchor);
    expect(result).toMatchObject({ ok: true, anchorHeld: true });
  });

  it('restore from backup: a valid but older chain is truncated', async () => {
    const entries = await chain(5);
    const anchor = { seq: 5, head: entries[4]?.hash ?? '' };
    const backup = file(entries.slice(0, 3).map(entryLine));
    const result = await verify(backup, anchor);
    expect(result).toMatchObject({ ok: false, break: { kind: 'truncated', seq: 5, line: 4 } });
    expect(!result.ok && result.break.detail).toMatch(
      /shorter than what central acknowledged: it ends at seq 3/,
    );
  });

  it('a rewritten chain of the same length differs at the anchor', async () => {
    const entries = await chain(4);
    const anchor = { seq: 4, head: entries[3]?.hash ?? '' };
    let at: AuditAnchor = { seq: 2, head: entries[1]?.hash ?? '' };
    const rewritten = entries.slice(0, 2).map(entryLine);
    for (const i of [3, 4]) {
      const entry = await chainEntry(at, record(i, { outcome: 'refused' }), sha256);
      rewritten.push(entryLine(entry));
      at = { seq: entry.seq, head: entry.hash };
    }
    const result = await verify(file(rewritten), anchor);
    expect(result).toMatchObject({ ok: false, break: { kind: 'anchor-mismatch', line: 4, seq: 4 } });
  });
});

describe('checkpoints', () => {
  it('counts signed and unsigned checkpoints and refuses one that certifies another entry', async () => {
    const entries = await chain(2);
    const head = { seq: 2, head: entries[1]?.hash ?? '' };
    const unsigned = await chainEntry(
      head,
      {
        ...record(3),
        action: 'audit.checkpoint',
        subject: {},
        details: checkpointDetails({ ...head, reason: 'no-station-certificate' }),
      },
      sha256,
    );
    const good = await verify(file([...entries, unsigned].map(entryLine)));
    expect(good).toMatchObject({ ok: true, checkpoints: { signed: 0, unsigned: 1 } });
    expect(good.lastCheckpoint).toMatchObject({ seq: 2, signed: false });

    const lying = await chainEntry(
      head,
      {
        ...record(3),
        action: 'audit.checkpoint',
        subject: {},
        details: checkpointDetails({
          seq: 1,
          head: entries[0]?.hash ?? '',
          reason: 'no-station-certificate',
        }),
      },
      sha256,
    );
    const bad = await verify(file([...entries, lying].map(entryLine)));
    expect(bad).toMatchObject({ ok: false, break: { kind: 'bad-checkpoint', line: 3 } });
  });

  it('the signing input is the RFC 8785 text with its type', () => {
    const text = new TextDecoder().decode(
      checkpointSigningInput({ seq: 7, head: 'ab'.repeat(32), time: '2026-12-07T10:00:00.000Z' }),
    );
    expect(text).toBe(
      `{"head":"${'ab'.repeat(32)}","seq":7,"time":"2026-12-07T10:00:00.000Z","type":"cccd-audit-checkpoint","v":1}`,
    );
  });
});

describe('untrusted bytes', () => {
  it('random bytes and mutated logs give a typed result, never a throw', async () => {
    const lines = (await chain(4)).map(entryLine);
    const good = file(lines);
    const kinds = new Set(['bad-json', 'malformed', 'edited', 'deleted', 'reordered', 'bad-checkpoint']);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 3000 }),
          fc
            .tuple(fc.nat(good.length - 1), fc.integer({ min: 1, max: 255 }))
            .map(([at, xor]) => good.map((b, i) => (i === at ? b ^ xor : b))),
          fc
            .array(fc.constantFrom(...lines, '{}', 'null', '[1]', '{"seq":1e400}'), { maxLength: 8 })
            .map(file),
        ),
        async (bytes) => {
          const result = await verify(bytes);
          if (!result.ok) expect(kinds.has(result.break.kind)).toBe(true);
          expect(result.lines).toBeLessThanOrEqual(bytes.length + 1);
        },
      ),
      { seed, numRuns: 300 },
    );
  });

  it('a huge line without newlines is held to MAX_LINE_BYTES (bounded memory)', async () => {
    const chunk = new Uint8Array(1 << 16).fill(0x41);
    let served = 0;
    function* endless() {
      while (served < 256) {
        served += 1;
        yield chunk;
      }
    }
    const before = process.memoryUsage().arrayBuffers;
    const result = await verifyChain(endless(), { sha256 });
    // 16 MiB went by; the verifier kept at most one line's worth.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(4 * 1024 * 1024);
    expect(result.tornTail).toEqual({ line: 1, offset: 0, length: 256 * (1 << 16) });
  });
});
