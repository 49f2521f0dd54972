/**
 * The manifest's optional audit anchor (issue 21, Build 8): packets without it still validate; with
 * it, its shape is checked and its head must be the manifest's auditChainHead.
 */
import { describe, expect, it } from 'vitest';
import { decodeManifest, encodeManifest, validateManifest } from '../../../protocol/packet/manifest.ts';
import { sampleEnrollment } from '../../support/packet-keys.ts';

const base = sampleEnrollment({}).manifest;
const head = base.auditChainHead;

function problems(value: unknown) {
  const result = validateManifest(JSON.parse(JSON.stringify(value)));
  return result.ok ? [] : result.problems.map((p) => `${p.path} ${p.rule}`);
}

describe('manifest audit anchor', () => {
  it('is optional: a manifest without it (an older packet) validates', () => {
    expect(base.audit).toBeUndefined();
    expect(problems(base)).toEqual([]);
  });

  it('round-trips when present and consistent', () => {
    const manifest = { ...base, audit: { seq: 42, head } };
    const decoded = decodeManifest(encodeManifest(manifest));
    expect(decoded.ok && decoded.manifest.audit).toEqual({ seq: 42, head });
  });

  it.each([
    [{ seq: 42, head: 'cd'.repeat(32) }, ['/audit/head consistency']],
    [{ seq: -1, head }, ['/audit/seq minimum']],
    [{ seq: 1.5, head }, ['/audit/seq type']],
    [{ seq: 3, head: 'AB'.repeat(32) }, ['/audit/head pattern']],
    [{ seq: 3 }, ['/audit/head required']],
    [{ seq: 3, head, extra: 1 }, ['/audit/extra additionalProperties']],
    [{ seq: 0, head }, ['/audit/seq consistency']],
  ])('refuses %j', (audit, expected) => {
    expect(problems({ ...base, audit })).toEqual(expected);
  });

  it('seq 0 goes with the empty chain head', () => {
    const empty = '0'.repeat(64);
    expect(problems({ ...base, auditChainHead: empty, audit: { seq: 0, head: empty } })).toEqual([]);
    expect(problems({ ...base, auditChainHead: empty, audit: { seq: 5, head: empty } })).toEqual([
      '/audit/seq consistency',
    ]);
  });
});
