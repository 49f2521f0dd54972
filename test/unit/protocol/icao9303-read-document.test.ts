/**
 * A whole CCCD read and checked in process: the simulated chip built from a person record, the
 * reader's flow, Passive Authentication against the test CSCA, DG1 and the portrait.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { nodeIcao9303Crypto } from '../../../drivers/crypto/node-crypto.ts';
import { createNodePaCrypto } from '../../../drivers/crypto/pa-node.ts';
import { cccdMrzInformation } from '../../../protocol/icao9303/mrz-info.ts';
import { type ReadDocumentOptions, readDocument } from '../../../protocol/icao9303/read-document.ts';
import { simulatedCardAccess } from '../../../simulators/card/cccd-card-sim.ts';
import { type EmrtdCardOptions, SimulatedEmrtdCard } from '../../../simulators/card/emrtd-card.ts';
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

/**
 * The simulated chip for `lds` as a channel that records what was sent; `intercept` may answer a
 * command in the chip's place (a misbehaving chip).
 */
function card(
  lds: BuiltLds,
  extra: Partial<EmrtdCardOptions> = {},
  intercept: (command: Uint8Array) => Uint8Array | undefined = () => undefined,
) {
  const chip = new SimulatedEmrtdCard({
    crypto: nodeIcao9303Crypto,
    mrzInformation: access.mrzInformation,
    files: lds.files,
    ...extra,
  });
  const sent: Uint8Array[] = [];
  return {
    sent,
    transmit: async (command: Uint8Array) => {
      sent.push(command);
      return intercept(command) ?? chip.handle(command);
    },
  };
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

describe('the CCCD access order: PACE-CAN, PACE-MRZ, BAC', () => {
  const { bytes: cardAccess, info } = simulatedCardAccess();
  const order = [
    { method: 'pace' as const, password: { kind: 'can' as const, can: '012345' } },
    { method: 'pace' as const, password: { kind: 'mrz' as const, mrzInformation: access.mrzInformation } },
    access,
  ];
  const paceCard = (lds: BuiltLds, extra: Partial<EmrtdCardOptions> = {}) =>
    card(lds, { cardAccess, pace: { info, can: '012345' }, ...extra });

  it.each([0x6982, 0x6985, 0x6a80, 0x6d00])(
    'MSE:Set AT refused with %s: both PACE attempts are recorded as refused, BAC opens the chip',
    async (sw) => {
      const lds = buildScenarioLds(SAMPLE_PERSON, pki, 'valid');
      const report = await readDocument(paceCard(lds, { refusePaceWith: sw }), options({ access: order }));
      expect(report.accessMethod).toBe('BAC');
      expect(report.accessAttempts).toEqual([
        {
          method: 'PACE-CAN',
          outcome: 'refused',
          statusWord: sw,
          detail: expect.stringContaining('mse-set-at'),
        },
        {
          method: 'PACE-MRZ',
          outcome: 'refused',
          statusWord: sw,
          detail: expect.stringContaining('mse-set-at'),
        },
        { method: 'BAC', outcome: 'opened' },
      ]);
      expect(report.passiveAuthentication.verdict.kind).toBe('valid');
    },
  );

  it('PACE-CAN opens a chip that offers it, and SELECT MF is never sent', async () => {
    const lds = buildScenarioLds(SAMPLE_PERSON, pki, 'valid');
    const link = paceCard(lds, { selectMfStatus: 0x6d00 });
    const report = await readDocument(link, options({ access: order }));
    expect(report.accessMethod).toBe('PACE-CAN');
    expect(report.cardAccess?.infos).toEqual([info]);
    // Nothing was ever sent with P1 = 00 to SELECT (SELECT MF); the first command selects 011C.
    expect(link.sent.some((c) => c[1] === 0xa4 && c[2] === 0x00)).toBe(false);
    expect([...(link.sent[0] ?? [])].slice(0, 7)).toEqual([0x00, 0xa4, 0x02, 0x0c, 0x02, 0x01, 0x1c]);
  });

  it('EF.CardAccess read by short EF identifier when the chip refuses SELECT of 011C', async () => {
    const lds = buildScenarioLds(SAMPLE_PERSON, pki, 'valid');
    // The chip refuses SELECT of 011C (6A82); READ BINARY by short EF identifier still works.
    const link = card(lds, { cardAccess, pace: { info, can: '012345' } }, (command) =>
      command[1] === 0xa4 && command[2] === 0x02 && command[5] === 0x01 && command[6] === 0x1c
        ? Uint8Array.of(0x6a, 0x82)
        : undefined,
    );
    const report = await readDocument(link, options({ access: order }));
    expect(report.accessMethod).toBe('PACE-CAN');
    expect(link.sent.some((c) => c[1] === 0xb0 && c[2] === 0x9c)).toBe(true);
  });

  it('every method refused: CARD_ACCESS_DENIED naming each attempt', async () => {
    const lds = buildScenarioLds(SAMPLE_PERSON, pki, 'valid');
    const wrong = cccdMrzInformation('001099012345', '990102', '390101');
    if (!wrong.ok) throw new Error(wrong.error.detail);
    const attempts = [
      { method: 'pace' as const, password: { kind: 'can' as const, can: '999999' } },
      { method: 'pace' as const, password: { kind: 'mrz' as const, mrzInformation: wrong.value } },
      { method: 'bac' as const, mrzInformation: wrong.value },
    ];
    await expect(readDocument(paceCard(lds), options({ access: attempts }))).rejects.toMatchObject({
      code: 'CARD_ACCESS_DENIED',
      message: expect.stringMatching(/PACE-CAN access-denied, PACE-MRZ access-denied, BAC access-denied/),
    });
  });
});

describe('Chip Authentication refused', () => {
  it.each([
    ['answers 6D00 under secure messaging', false],
    ['answers 6988 in plain, ending the session', true],
  ])(
    'a chip that %s: CA not checked, the chip opened again, every group still read',
    async (_what, plain) => {
      const lds = buildScenarioLds(SAMPLE_PERSON, pki, 'valid');
      const link = card(lds, {}, (command) =>
        plain && command[0] === 0x0c && command[1] === 0x22 && command[2] === 0x41
          ? Uint8Array.of(0x69, 0x88)
          : undefined,
      );
      const report = await readDocument(link, options());
      expect(report.chipAuthentication).toMatchObject({
        status: 'not-checked',
        detail: expect.stringMatching(/refused/),
      });
      expect([...report.dataGroups.keys()].sort((a, b) => a - b)).toEqual([1, 2, 13, 14, 15]);
      expect(report.passiveAuthentication.verdict.kind).toBe('valid');
    },
  );
});
