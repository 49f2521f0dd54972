/**
 * A whole CCCD read and checked in process: the simulated chip built from a person record, the
 * reader's flow, Passive Authentication against the test CSCA, DG1 and the portrait.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { nodeIcao9303Crypto } from '../../../drivers/crypto/node-crypto.ts';
import { createNodePaCrypto } from '../../../drivers/crypto/pa-node.ts';
import { cccdMrzInformation } from '../../../protocol/icao9303/mrz-info.ts';
import { type ReadDocumentOptions, readDocument } from '../../../protocol/icao9303/read-document.ts';
import { SimulatedEmrtdCard } from '../../../simulators/card/emrtd-card.ts';
import { type BuiltLds, buildScenarioLds, SAMPLE_PERSON } from '../../../simulators/card/lds-builder.ts';
import { createTestPki, type TestPki } from '../../../simulators/pki/csca.ts';

let pki: TestPki;
beforeAll(async () => {
  pki = await createTestPki('ecdsa-p256');
});

const access = (() => {
  const info = cccdMrzInformation('001099012345', '990101', '390101');
  if (!info.ok) throw new Error(info.error.detail);
  return { method: 'bac' as const, mrzInformation: info.value };
})();

function options(overrides: Partial<ReadDocumentOptions> = {}): ReadDocumentOptions {
  let tick = 0;
  return {
    access,
    crypto: nodeIcao9303Crypto,
    paCrypto: createNodePaCrypto(),
    trustStore: { cscaCertificates: [pki.csca.certificate] },
    clock: { now: () => Date.UTC(2026, 10, 22) },
    monotonic: () => tick++,
    ...overrides,
  };
}

function card(lds: BuiltLds) {
  const chip = new SimulatedEmrtdCard({
    crypto: nodeIcao9303Crypto,
    mrzInformation: access.mrzInformation,
    files: lds.files,
  });
  return { transmit: async (command: Uint8Array) => chip.handle(command) };
}

describe('reading a simulated CCCD end to end', () => {
  it('reads every data group EF.COM lists, passes PA, and decodes DG1 and the JPEG portrait', async () => {
    const lds = buildScenarioLds(SAMPLE_PERSON, pki, 'valid');
    const report = await readDocument(card(lds), options());
    expect([...report.dataGroups.keys()].sort((a, b) => a - b)).toEqual([1, 2, 13, 14, 15]);
    for (const [n, bytes] of report.dataGroups) expect(bytes, `DG${n}`).toEqual(lds.dataGroups.get(n as 1));
    expect(report.passiveAuthentication.verdict.kind).toBe('valid');
    expect(report.dg1?.mrz.cccd?.id12).toBe('001099012345');
    expect(report.dg1?.mrz.checksOk).toBe(true);
    expect(report.portrait?.format).toBe('jpeg');
    expect(report.portrait?.image).toEqual(lds.portraitJpeg);
    expect(report.apdus).toBeGreaterThan(8);
    expect(Object.keys(report.timings.files)).toEqual(
      expect.arrayContaining(['EF.COM', 'EF.SOD', 'DG1', 'DG2', 'DG13', 'DG14', 'DG15']),
    );
  });

  it.each([
    ['tampered-dg2', 'data-group-altered'],
    ['unknown-csca', 'unknown-issuer'],
    ['expired-ds', 'certificate-expired'],
    ['bad-signature', 'signature-invalid'],
  ] as const)('a card built with %s reads, and PA says %s', async (scenario, verdict) => {
    const report = await readDocument(card(buildScenarioLds(SAMPLE_PERSON, pki, scenario)), options());
    expect(report.passiveAuthentication.verdict.kind).toBe(verdict);
  });

  it('without a trust store the verdict is not-checked, never valid', async () => {
    const { trustStore: _none, ...rest } = options();
    const report = await readDocument(card(buildScenarioLds(SAMPLE_PERSON, pki, 'valid')), rest);
    expect(report.passiveAuthentication.verdict).toMatchObject({ kind: 'not-checked' });
  });
});
