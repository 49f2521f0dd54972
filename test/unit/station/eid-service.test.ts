/**
 * The e-ID registration service over fake ports and its encrypted store: a station restart between
 * steps resumes the registration (the chip portrait, EF.SOD and the live frame come back from the
 * file and reach the application); the file is wiped once the registration ends; an edited or
 * renamed file is refused whole; the store's bytes hold nothing in the clear.
 */
import { readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { EidApplicationSet } from '../../../station/packets/eid-application.ts';
import {
  EID_CONSENT_TEXT_VERSION,
  type EidPorts,
  EidService,
  type EidStepRequest,
} from '../../../station/workflows/eid/service.ts';
import { EidStore } from '../../../station/workflows/eid/store.ts';
import type { VerificationRead } from '../../../station/workflows/verification/read.ts';
import type { CardKeyInput } from '../../../station/workflows/verification/workflow.ts';
import { ManualClock, tempDir } from '../../support/station.ts';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()?.();
});

const CHIP_PORTRAIT = new Uint8Array([0xff, 0xd8, 1, 2, 3, 0xff, 0xd9]);
const SOD = new Uint8Array([0x77, 3, 9, 9, 9]);
const LIVE = new Uint8Array([0xff, 0xd8, 7, 7, 7, 0xff, 0xd9]);
const KEY: CardKeyInput = {
  mrzInformation: '099012345<0990101939010',
  can: '012345',
  key: undefined,
  from: 'can',
};

/** What the notary's read gives, as far as the e-ID steps use it. */
function fakeRead(): VerificationRead {
  return {
    accessMethod: 'PACE-CAN',
    holder: {
      fullName: 'Nguyễn Văn An',
      surname: 'NGUYEN',
      givenNames: 'VAN AN',
      documentNumber: '099012345',
      id12: '001099012345',
      dateOfBirth: '990101',
      dateOfExpiry: '390101',
      sex: 'M',
      nationality: 'VNM',
      issuingState: 'VNM',
    },
    passiveAuthentication: { verdict: 'valid', documentSigner: 'CN=DS' },
    chip: {
      verdict: 'genuine-chip',
      chipAuthentication: { status: 'passed' },
      activeAuthentication: { status: 'passed' },
    },
    validity: { kind: 'in-date', valid: true, today: '2026-12-07' },
    portrait: CHIP_PORTRAIT.slice(),
    dg3: { status: 'not-read' },
    evidence: { sod: SOD.slice() },
  } as unknown as VerificationRead;
}

function fakePorts() {
  const sealed: EidApplicationSet[] = [];
  const compared: Uint8Array[] = [];
  const ports: EidPorts = {
    readCard: async () => fakeRead(),
    compareFace: async (live, chip) => {
      compared.push(chip.slice());
      return {
        compared: true,
        decision: live.image[2] === 7 ? 'same' : 'different',
        distance: 0.3,
        threshold: 0.6,
        engine: 'stand-in',
        engineVersion: '1',
      };
    },
    liveFrame: async () => ({ cameraId: 'camera', jpeg: LIVE.slice() }),
    devicesFor: () => [],
    seal: async (set) => {
      sealed.push({ ...set, livePortrait: set.livePortrait.slice(), sod: set.sod.slice() });
      return { packetId: set.packetId, state: 'queued', sha256: 'ab'.repeat(32) };
    },
  };
  return { ports, sealed, compared };
}

function setup() {
  const tmp = tempDir('eid-service-');
  cleanups.push(tmp.remove);
  const dir = path.join(tmp.dir, 'eid');
  const key = new Uint8Array(32).fill(3);
  const clock = new ManualClock(Date.parse('2026-12-07T03:00:00Z'));
  const fake = fakePorts();
  const make = (storeKey = key) =>
    new EidService({
      ports: fake.ports,
      clock,
      stationId: 'dev-station-01',
      environment: 'test',
      signingGrant: async (_actor, grant) =>
        grant === 'good' ? { ok: true, method: 'password' } : { ok: false, reason: 'unknown grant' },
      store: new EidStore(dir, storeKey),
    });
  return { make, dir, fake, clock };
}

const OFFICER = { officerId: 'off-1', roles: ['officer'] };
const CONTACT: EidStepRequest = {
  kind: 'contact',
  phone: '0912345678',
  email: 'an@example.vn',
  consent: { phone: true, email: true, dataProcessing: true, textVersion: EID_CONSENT_TEXT_VERSION },
};

async function steps(service: EidService, id: string, list: EidStepRequest[]) {
  for (const request of list) {
    const version = (await service.view(id, OFFICER)).version;
    const answer = await service.step(id, version, request, OFFICER);
    if (!answer.ok) throw new Error(`${request.kind}: ${JSON.stringify(answer.refusal)}`);
  }
}

describe('EidService with its encrypted store', () => {
  it('a restart between steps resumes the registration, and its bytes reach the application', async () => {
    const { make, dir, fake } = setup();
    const before = make();
    const { id } = await before.start(OFFICER);
    await steps(before, id, [{ kind: 'card-key', key: KEY }, { kind: 'read-card' }]);
    const file = path.join(dir, `${id}.eid`);
    const bytes = readFileSync(file);
    // Nothing in the clear: not the name, not the ID, not the SOD's bytes.
    for (const secret of ['Nguy', '001099012345', Buffer.from(SOD).toString('latin1')])
      expect(bytes.includes(Buffer.from(secret, secret.startsWith('Nguy') ? 'utf8' : 'latin1'))).toBe(false);

    // The station restarts: the old service closes (its files stay), a new one opens the same folder.
    before.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(readdirSync(dir)).toContain(`${id}.eid`);
    const after = make();
    expect(await after.view(id, OFFICER)).toMatchObject({ stage: 'card-read', version: 2 });
    await steps(after, id, [{ kind: 'compare-face' }]);
    expect(fake.compared.at(-1)).toEqual(CHIP_PORTRAIT);
    const again = make();
    await steps(again, id, [CONTACT, { kind: 'sign', grant: 'good' }, { kind: 'submit' }]);
    expect(fake.sealed).toHaveLength(1);
    expect(fake.sealed[0]).toMatchObject({
      registrationSessionId: id,
      contact: { phone: '0912345678', email: 'an@example.vn' },
      citizen: { personalId: '001099012345' },
    });
    expect(fake.sealed[0]?.sod).toEqual(SOD);
    expect(fake.sealed[0]?.livePortrait).toEqual(LIVE);
    // Ended: the file is gone.
    expect(readdirSync(dir).filter((f) => f.endsWith('.eid'))).toEqual([]);
  });

  it('refuses an edited, renamed or foreign-key file whole', async () => {
    const { make, dir } = setup();
    const service = make();
    const a = (await service.start(OFFICER)).id;
    const b = (await service.start(OFFICER)).id;
    await steps(service, a, [{ kind: 'card-key', key: KEY }]);
    const fileA = path.join(dir, `${a}.eid`);
    const edited = readFileSync(fileA);
    edited[edited.length - 20] = (edited[edited.length - 20] ?? 0) ^ 1;
    writeFileSync(fileA, edited);
    await expect(make().view(a, OFFICER)).rejects.toMatchObject({ code: 'EID_TAMPERED', statusCode: 422 });
    // B's file under A's name.
    renameSync(path.join(dir, `${b}.eid`), fileA);
    await expect(make().view(a, OFFICER)).rejects.toMatchObject({ code: 'EID_TAMPERED' });
    await expect(make(new Uint8Array(32).fill(9)).view(a, OFFICER)).rejects.toMatchObject({
      code: 'EID_TAMPERED',
    });
  });

  it('an abandoned registration leaves no file, and another officer cannot see one', async () => {
    const { make, dir } = setup();
    const service = make();
    const { id } = await service.start(OFFICER);
    await expect(make().view(id, { officerId: 'off-2', roles: ['officer'] })).rejects.toMatchObject({
      code: 'EID_FORBIDDEN',
    });
    await steps(service, id, [{ kind: 'abandon', reason: 'citizen left' }]);
    expect(readdirSync(dir).filter((f) => f.endsWith('.eid'))).toEqual([]);
  });

  it('a registration file idle past the idle time is wiped at the next start', async () => {
    const { make, dir, clock } = setup();
    const { id } = await make().start(OFFICER);
    expect(readdirSync(dir)).toContain(`${id}.eid`);
    clock.advance(31 * 60_000);
    await make().start(OFFICER);
    expect(readdirSync(dir)).not.toContain(`${id}.eid`);
  });
});
