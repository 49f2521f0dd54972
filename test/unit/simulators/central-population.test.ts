import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { validatePersonalId } from '../../../protocol/cccd/personal-id.ts';
import { SAMPLE_PERSON } from '../../../simulators/card/lds-builder.ts';
import {
  type PopulationData,
  type PopulationRoutesOptions,
  registerPopulationRoutes,
  SEED_POPULATION,
} from '../../../simulators/central/population.ts';

const apps: ReturnType<typeof Fastify>[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

/** The test's stand-in for mTLS: the station id comes from a header the test sets. */
function build(options: Partial<PopulationRoutesOptions> = {}) {
  const app = Fastify();
  apps.push(app);
  registerPopulationRoutes(app, {
    stationIdOf: (request) => {
      const id = request.headers['x-test-station'];
      return typeof id === 'string' ? id : undefined;
    },
    now: () => Date.parse('2026-01-15T00:00:00Z'),
    ...options,
  });
  return app;
}

async function get(app: ReturnType<typeof Fastify>, url: string, station: string | null = 'station-0001') {
  const res = await app.inject({
    method: 'GET',
    url,
    headers: station === null ? {} : { 'x-test-station': station },
  });
  return { status: res.statusCode, body: res.json(), headers: res.headers };
}

function dg13(fieldNo: number): string | readonly string[] | undefined {
  return SAMPLE_PERSON.dg13.find((f) => f.fieldNo === fieldNo)?.value;
}

/** dd/mm/yyyy (DG13) as YYYY-MM-DD. */
function isoOf(ddmmyyyy: unknown): string {
  const m = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(String(ddmmyyyy));
  if (!m) throw new Error(`not dd/mm/yyyy: ${String(ddmmyyyy)}`);
  return `${m[3]}-${m[2]}-${m[1]}`;
}

describe('seeded population', () => {
  it('has the simulated chip card holder with the DG13 data his card carries', async () => {
    const { status, body, headers } = await get(build(), `/v1/population/citizens/${SAMPLE_PERSON.id12}`);
    expect(status).toBe(200);
    expect(headers['cache-control']).toBe('no-store');
    const [father, mother] = dg13(13) as readonly string[];
    expect(body).toMatchObject({
      personalId: dg13(1),
      fullName: dg13(2),
      birthDate: SAMPLE_PERSON.dateOfBirth,
      sex: dg13(4) === 'Nam' ? 'male' : 'female',
      nationality: dg13(5),
      ethnicity: dg13(6),
      religion: dg13(7),
      placeOfOrigin: dg13(8),
      placeOfResidence: dg13(9),
      identifyingMarks: dg13(10),
      father: { fullName: father },
      mother: { fullName: mother },
      spouse: { fullName: (dg13(14) as readonly string[])[0] },
      card: {
        number: SAMPLE_PERSON.id12,
        issuedOn: isoOf(dg13(11)),
        expiresOn: SAMPLE_PERSON.dateOfExpiry,
        status: 'valid',
      },
      asOf: '2026-01-15T00:00:00.000Z',
    });
    expect(body.birthDate).toBe(isoOf(dg13(3)));
    // His old CMND (DG13 field 15) was replaced by the card.
    const old = await get(build(), `/v1/population/cards/${String(dg13(15))}/status`);
    expect(old.body).toMatchObject({ personalId: SAMPLE_PERSON.id12, status: 'replaced' });
  });

  it('gives every seeded citizen a personal ID consistent with their sex and date of birth, names in NFC', () => {
    for (const c of SEED_POPULATION.citizens) {
      const check = validatePersonalId(c.personalId, {
        sex: c.sex === 'male' ? 'M' : 'F',
        dateOfBirth: c.birthDate,
      });
      expect(check.failures, c.personalId).toEqual([]);
      expect(c.fullName.normalize('NFC')).toBe(c.fullName);
    }
  });

  it('has a card in each status and answers each by number', async () => {
    const app = build();
    const statuses = new Map<string, string>();
    for (const card of SEED_POPULATION.cards) {
      const { status, body } = await get(app, `/v1/population/cards/${card.cardNumber}/status`);
      expect(status).toBe(200);
      expect(body.personalId).toBe(card.personalId);
      statuses.set(body.status, card.cardNumber);
    }
    expect([...statuses.keys()].sort()).toEqual(['replaced', 'reported-lost', 'revoked', 'valid']);
    expect(await get(app, '/v1/population/cards/079190001234/status')).toMatchObject({
      body: { status: 'reported-lost', since: '2025-09-20T03:15:00.000Z', asOf: '2026-01-15T00:00:00.000Z' },
    });
  });

  it('shows a child without a card with card null', async () => {
    const { body } = await get(build(), '/v1/population/citizens/001218000111');
    expect(body).toMatchObject({ fullName: 'Nguyễn Gia Bảo', card: null });
  });
});

describe('the injected clock', () => {
  it('answers as of now: a later status change has not happened, a later card not been issued', async () => {
    const before = build({ now: () => Date.parse('2025-01-01T00:00:00Z') });
    expect((await get(before, '/v1/population/cards/079190001234/status')).body).toMatchObject({
      status: 'valid',
      since: '2021-04-15T00:00:00.000Z',
    });
    const in2020 = build({ now: () => Date.parse('2020-01-01T00:00:00Z') });
    expect((await get(in2020, '/v1/population/citizens/001099012345')).body.card).toEqual({
      number: '012345678',
      issuedOn: '2015-03-10',
      expiresOn: '2030-03-10',
      status: 'valid',
    });
    expect((await get(in2020, '/v1/population/cards/001099012345/status')).status).toBe(404);
  });
});

describe('refusals', () => {
  it('answers 401 without a client certificate, before looking at the id', async () => {
    const app = build();
    for (const url of [
      '/v1/population/citizens/001099012345',
      '/v1/population/citizens/x',
      '/v1/population/cards/012345678/status',
    ]) {
      const { status, body } = await get(app, url, null);
      expect(status).toBe(401);
      expect(body.code).toBe('CENTRAL_CLIENT_CERTIFICATE_REQUIRED');
    }
  });

  it('answers 403 to a station that has not registered', async () => {
    const app = build({ isRegistered: (id) => id === 'station-0001' });
    expect((await get(app, '/v1/population/citizens/001099012345', 'station-0002')).body.code).toBe(
      'CENTRAL_STATION_NOT_REGISTERED',
    );
    expect((await get(app, '/v1/population/citizens/001099012345', 'station-0001')).status).toBe(200);
  });

  it.each([
    ['too short', '00109901234', 'not-12-digits'],
    ['letters', '00109901234a', 'not-12-digits'],
    ['no province 003', '003099012345', 'unknown-province'],
    ['no province 999', '999099012345', 'unknown-province'],
  ])('answers 400 CENTRAL_PERSONAL_ID_INVALID for an id %s', async (_name, id, failure) => {
    const { status, body } = await get(build(), `/v1/population/citizens/${id}`);
    expect(status).toBe(400);
    expect(body).toMatchObject({
      code: 'CENTRAL_PERSONAL_ID_INVALID',
      failures: [failure],
      message: { vi: expect.stringMatching(/\S/), en: expect.stringMatching(/\S/) },
    });
  });

  it('answers 404 CENTRAL_UNKNOWN_CITIZEN for a well-formed id nobody has', async () => {
    const { status, body } = await get(build(), '/v1/population/citizens/001099999999');
    expect(status).toBe(404);
    expect(body.code).toBe('CENTRAL_UNKNOWN_CITIZEN');
  });

  it('answers 400 for a malformed card number and 404 CENTRAL_UNKNOWN_CARD for an unknown one', async () => {
    const app = build();
    for (const number of ['1234567890', '12345678', '0123456789ab'])
      expect((await get(app, `/v1/population/cards/${number}/status`)).body.code).toBe(
        'CENTRAL_CARD_NUMBER_INVALID',
      );
    const unknown = await get(app, '/v1/population/cards/001099999999/status');
    expect([unknown.status, unknown.body.code]).toEqual([404, 'CENTRAL_UNKNOWN_CARD']);
  });

  it('refuses an inconsistent database at registration', () => {
    const orphan: PopulationData = {
      citizens: [],
      cards: [
        {
          cardNumber: '012345678',
          personalId: '001099012345',
          issuedOn: '2015-01-01',
          expiresOn: null,
          history: [],
        },
      ],
    };
    expect(() => build({ citizens: orphan })).toThrow(TypeError);
    const twice: PopulationData = {
      citizens: [SEED_POPULATION.citizens[0], SEED_POPULATION.citizens[0]].flatMap((c) => (c ? [c] : [])),
      cards: [],
    };
    expect(() => build({ citizens: twice })).toThrow(/listed twice/);
  });
});
