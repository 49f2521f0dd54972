/**
 * The population database's side of the simulated central (issue 18; protocol/central/CONTRACT.md):
 * the citizen's current record for prefill at renewal, and a card's status for notaries. Both
 * answer only a station that presented a verified client certificate (the caller's `stationIdOf`).
 *
 * | route | answers |
 * |---|---|
 * | `GET /v1/population/citizens/{personalId}` | 200 `CitizenAnswer`; 400 `CENTRAL_PERSONAL_ID_INVALID`; 404 `CENTRAL_UNKNOWN_CITIZEN` |
 * | `GET /v1/population/cards/{cardNumber}/status` | 200 `CardStatusAnswer`; 400 `CENTRAL_CARD_NUMBER_INVALID`; 404 `CENTRAL_UNKNOWN_CARD` |
 *
 * Both: 401 `CENTRAL_CLIENT_CERTIFICATE_REQUIRED` without a client certificate, 403
 * `CENTRAL_STATION_NOT_REGISTERED` when `isRegistered` says so. Answers are as of the injected
 * clock: a card issued later does not exist yet, a status change dated later has not happened.
 * Personal data: answers carry `cache-control: no-store`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { validatePersonalId } from '../../protocol/cccd/personal-id.ts';
import {
  type CardRecord,
  type CardStatus,
  type CitizenRecord,
  type PopulationData,
  SEED_POPULATION,
} from './citizens.ts';

export type { CardRecord, CardStatus, CitizenRecord, PopulationData } from './citizens.ts';
export { SEED_POPULATION } from './citizens.ts';

export interface PopulationRoutesOptions {
  /** The database (default SEED_POPULATION). @throws {TypeError} at registration when inconsistent. */
  readonly citizens?: PopulationData;
  /** Central's clock, ms since the Unix epoch (default Date.now). */
  readonly now?: () => number;
  /** The station id (CN of the verified client certificate), undefined without one. */
  readonly stationIdOf: (request: FastifyRequest) => string | undefined;
  /** Whether a verified station has registered (default: every one has). */
  readonly isRegistered?: (stationId: string) => boolean;
}

/** The citizen's current card as the record shows it. */
export interface CurrentCard {
  readonly number: string;
  readonly issuedOn: string;
  readonly expiresOn: string | null;
  readonly status: CardStatus;
}

export type CitizenAnswer = CitizenRecord & {
  /** The most recently issued card, whatever its status; null before the first. */
  readonly card: CurrentCard | null;
  /** The time this answer speaks for, ISO 8601 UTC. */
  readonly asOf: string;
};

export interface CardStatusAnswer {
  readonly cardNumber: string;
  readonly personalId: string;
  readonly status: CardStatus;
  /** When the card took this status, ISO 8601 UTC. */
  readonly since: string;
  readonly asOf: string;
}

interface Message {
  readonly vi: string;
  readonly en: string;
}

function problem(reply: FastifyReply, status: number, code: string, message: Message, extra: object = {}) {
  return reply
    .code(status)
    .header('cache-control', 'no-store')
    .send({ code, message, ...extra });
}

/** A card's status at `at` (ms); undefined when it was not issued yet. */
function statusAt(card: CardRecord, at: number): { status: CardStatus; since: string } | undefined {
  let current: { status: CardStatus; since: string } | undefined;
  for (const change of card.history) {
    if (Date.parse(change.since) > at) break;
    current = change;
  }
  return current;
}

/** @throws {TypeError} for duplicates, cards of unknown citizens, or unreadable dates. */
function index(data: PopulationData) {
  const citizens = new Map<string, CitizenRecord>();
  for (const citizen of data.citizens) {
    if (citizens.has(citizen.personalId))
      throw new TypeError(`citizen ${citizen.personalId} is listed twice`);
    citizens.set(citizen.personalId, citizen);
  }
  const cards = new Map<string, CardRecord[]>();
  const cardsOf = new Map<string, CardRecord[]>();
  for (const card of data.cards) {
    if (!citizens.has(card.personalId))
      throw new TypeError(`card ${card.cardNumber} belongs to ${card.personalId}, who is not listed`);
    if (card.history.length === 0 || card.history.some((h) => Number.isNaN(Date.parse(h.since))))
      throw new TypeError(`card ${card.cardNumber} needs a history of dated statuses`);
    for (const [map, key] of [
      [cards, card.cardNumber],
      [cardsOf, card.personalId],
    ] as const) {
      const list = map.get(key) ?? [];
      list.push(card);
      map.set(key, list);
    }
  }
  // Oldest first. A 12-digit number stays with the citizen from card to card, so a number can name
  // several cards: the latest issued by the time asked is the one meant.
  for (const map of [cards, cardsOf])
    for (const list of map.values()) list.sort((a, b) => (a.issuedOn < b.issuedOn ? -1 : 1));
  return { citizens, cards, cardsOf };
}

/**
 * Adds the two population routes to `app`.
 * @throws {TypeError} when `citizens` is inconsistent (programmer error).
 */
export function registerPopulationRoutes(app: FastifyInstance, options: PopulationRoutesOptions): void {
  const db = index(options.citizens ?? SEED_POPULATION);
  const now = options.now ?? Date.now;

  /** Undefined when the caller may ask; otherwise the reply already sent. */
  const refuse = (request: FastifyRequest, reply: FastifyReply) => {
    const stationId = options.stationIdOf(request);
    if (stationId === undefined)
      return problem(reply, 401, 'CENTRAL_CLIENT_CERTIFICATE_REQUIRED', {
        vi: 'Trạm chưa xuất trình chứng thư máy khách. Kiểm tra cấu hình chứng thư trạm (central.tls).',
        en: 'The station presented no client certificate. Check the station certificate settings (central.tls).',
      });
    if (options.isRegistered && !options.isRegistered(stationId))
      return problem(reply, 403, 'CENTRAL_STATION_NOT_REGISTERED', {
        vi: `Trạm ${stationId} chưa đăng ký với máy chủ trung tâm. Đăng ký trạm rồi thử lại.`,
        en: `Station ${stationId} has not registered with central. Register the station, then try again.`,
      });
    return undefined;
  };

  app.get<{ Params: { personalId: string } }>(
    '/v1/population/citizens/:personalId',
    async (request, reply) => {
      const refused = refuse(request, reply);
      if (refused) return refused;
      const { personalId } = request.params;
      const check = validatePersonalId(personalId);
      if (!check.ok)
        return problem(
          reply,
          400,
          'CENTRAL_PERSONAL_ID_INVALID',
          {
            vi: check.failures.map((f) => f.message.vi).join(' '),
            en: check.failures.map((f) => f.message.en).join(' '),
          },
          { failures: check.failures.map((f) => f.code) },
        );
      const at = now();
      const citizen = db.citizens.get(personalId);
      if (citizen === undefined)
        return problem(reply, 404, 'CENTRAL_UNKNOWN_CITIZEN', {
          vi: `Không có công dân mang số định danh ${personalId} trong cơ sở dữ liệu dân cư. Đối chiếu lại số trên thẻ.`,
          en: `No citizen with personal ID ${personalId} in the population database. Check the number on the card.`,
        });
      let card: CurrentCard | null = null;
      for (const c of db.cardsOf.get(personalId) ?? []) {
        const state = statusAt(c, at);
        if (state)
          card = { number: c.cardNumber, issuedOn: c.issuedOn, expiresOn: c.expiresOn, status: state.status };
      }
      const answer: CitizenAnswer = { ...citizen, card, asOf: new Date(at).toISOString() };
      return reply.header('cache-control', 'no-store').send(answer);
    },
  );

  app.get<{ Params: { cardNumber: string } }>(
    '/v1/population/cards/:cardNumber/status',
    async (request, reply) => {
      const refused = refuse(request, reply);
      if (refused) return refused;
      const { cardNumber } = request.params;
      if (!/^(?:[0-9]{9}|[0-9]{12})$/.test(cardNumber))
        return problem(reply, 400, 'CENTRAL_CARD_NUMBER_INVALID', {
          vi: 'Số thẻ gồm 12 chữ số (thẻ căn cước) hoặc 9 chữ số (chứng minh nhân dân cũ). Đối chiếu lại với thẻ.',
          en: 'A card number has 12 digits (identity card) or 9 digits (old CMND). Check it against the card.',
        });
      const at = now();
      let card: CardRecord | undefined;
      let state: ReturnType<typeof statusAt>;
      for (const c of db.cards.get(cardNumber) ?? []) {
        const s = statusAt(c, at);
        if (s) [card, state] = [c, s];
      }
      if (card === undefined || state === undefined)
        return problem(reply, 404, 'CENTRAL_UNKNOWN_CARD', {
          vi: `Không có thẻ số ${cardNumber} trong cơ sở dữ liệu. Đối chiếu lại số trên thẻ; thẻ có thể là giả.`,
          en: `No card number ${cardNumber} in the database. Check the number on the card; the card may be forged.`,
        });
      const answer: CardStatusAnswer = {
        cardNumber,
        personalId: card.personalId,
        status: state.status,
        since: state.since,
        asOf: new Date(at).toISOString(),
      };
      return reply.header('cache-control', 'no-store').send(answer);
    },
  );
}
