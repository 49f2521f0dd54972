/**
 * Fault injection for the simulated central (issue 18): the failures a station meets in the field,
 * switchable at run time so chaos tests and the soak harness can drive a running central.
 *
 * | kind | where it acts | what it does |
 * |---|---|---|
 * | `latency` | onRequest | delays the request by `ms` before it is handled |
 * | `error5xx` | onRequest | answers `status` (default 503) with `{ code: 'CENTRAL_FAULT_INJECTED', message }` |
 * | `resetMidUpload` | onRequest (PATCH unless `method` says otherwise) | destroys the connection once `afterBytes` bytes of the request body have reached the handler |
 * | `commitThenDrop` | afterCommit | the packet is durable, then the connection is destroyed: the receipt is lost |
 * | `slowLink` | onRequest | the request body reaches the handler at `bytesPerSecond` |
 * | `certificateRejected` | onRequest | 403 `CENTRAL_CERTIFICATE_REJECTED` (`action: 'answer'`) or the TLS socket destroyed (`'destroy'`) |
 * | `diskFull` | diskFull() | creations and commits answer 507 `CENTRAL_STORAGE_FULL` |
 * | `captivePortal` | onRequest | 200 `text/html`: a hotel's or hospital's Wi-Fi login page instead of central |
 *
 * Each fault has a trigger: `probability` (0..1, default 1) and/or `count` (fires at most that many
 * times: "the next N requests"); and, for the onRequest kinds, a filter: `path` (prefix of the URL
 * path) and `method`. Faults act in list order; the first one that answers ends the request.
 * Randomness comes from a seeded generator (mulberry32), so a run is reproducible for a given seed
 * and request order; a roll is spent only for a fault whose probability is below 1.
 *
 * `/v1/sim/*` is never faulted, so the control API stays reachable while everything else fails.
 * Counters (`fired`, per fault and per kind since start) are what the soak harness reports.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Ajv, type ErrorObject } from 'ajv';
import type { FastifyInstance } from 'fastify';

/**
 * The hooks the central server calls (the same shape as `fault-hooks.ts` of the server, declared
 * here structurally so this module stands alone).
 */
export interface CentralFaultHooks {
  /** Before a request is handled; 'handled' means the hook answered or destroyed the socket. */
  onRequest(req: IncomingMessage, res: ServerResponse): Promise<'continue' | 'handled'>;
  /** After a packet was committed durably and before the answer: 'drop' destroys the connection (receipt lost). */
  afterCommit(packetId: string): 'answer' | 'drop';
  /** True while the simulated disk is full: creations and commits answer 507 CENTRAL_STORAGE_FULL. */
  diskFull(): boolean;
}

export const FAULT_KINDS = [
  'latency',
  'error5xx',
  'resetMidUpload',
  'commitThenDrop',
  'slowLink',
  'certificateRejected',
  'diskFull',
  'captivePortal',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

interface FaultCommon {
  /** A name for the counters; default `<kind>-<index>`. Unique within a set. */
  readonly id?: string;
  /** Chance that a matching opportunity fires, 0..1 (default 1). */
  readonly probability?: number;
  /** Fires at most this many times, then stays in the set with `remaining: 0` (default unlimited). */
  readonly count?: number;
  /** Prefix of the URL path the fault applies to (onRequest kinds only), e.g. `/v1/uploads`. */
  readonly path?: string;
  /** HTTP method the fault applies to (onRequest kinds only). */
  readonly method?: (typeof HTTP_METHODS)[number];
}

export type FaultSpec = FaultCommon &
  (
    | { readonly kind: 'latency' /** Delay, ms. */; readonly ms: number }
    | { readonly kind: 'error5xx' /** 500..599, default 503. */; readonly status?: number }
    | {
        readonly kind: 'resetMidUpload' /** Request-body bytes let through before the reset. */;
        readonly afterBytes: number;
      }
    | { readonly kind: 'commitThenDrop' }
    | {
        readonly kind: 'slowLink' /** Request-body rate, bytes per second. */;
        readonly bytesPerSecond: number;
      }
    | { readonly kind: 'certificateRejected'; readonly action?: 'answer' | 'destroy' }
    | { readonly kind: 'diskFull' }
    | { readonly kind: 'captivePortal' }
  );

/** A fault as GET /v1/sim/faults shows it. */
export type FaultState = FaultSpec & {
  readonly id: string;
  /** Firings left; null when unlimited. */
  readonly remaining: number | null;
  /** How many times it fired. */
  readonly fired: number;
};

export interface FaultSnapshot {
  readonly seed: number;
  readonly faults: readonly FaultState[];
  /** Firings per kind since the simulator started (kept across PUT and DELETE). */
  readonly fired: Readonly<Record<FaultKind, number>>;
}

export interface FaultProblem {
  /** JSON pointer into the submitted body. */
  readonly path: string;
  readonly message: string;
}

/** A fault set that is not valid; `problems` says where and why. */
export class CentralFaultsError extends Error {
  override readonly name = 'CentralFaultsError';
  readonly code = 'CENTRAL_SIM_FAULTS_INVALID';
  readonly problems: readonly FaultProblem[];
  constructor(problems: readonly FaultProblem[]) {
    super(
      `The fault set is not valid: ${problems.map((p) => `${p.path || '/'} ${p.message}`).join('; ')}. ` +
        'Send { seed?, faults: [{ kind, ... }] } as described in simulators/central/faults.ts',
    );
    this.problems = problems;
  }
}

export interface CentralFaultsOptions {
  /** Seed of the random generator (default 1); PUT may give another. */
  readonly seed?: number;
  /** Initial faults. @throws {CentralFaultsError} when invalid. */
  readonly faults?: readonly FaultSpec[];
  /** Waits `ms` (default setTimeout); tests may inject. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** The largest fault set accepted. */
export const MAX_FAULTS = 32;

const common = {
  id: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,64}$' },
  probability: { type: 'number', minimum: 0, maximum: 1 },
  count: { type: 'integer', minimum: 1, maximum: 1_000_000_000 },
  path: { type: 'string', pattern: '^/[\\x21-\\x7e]{0,255}$' },
  method: { enum: HTTP_METHODS },
};

function variant(kind: FaultKind, props: Record<string, unknown> = {}, required: string[] = []) {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['kind', ...required],
    properties: { kind: { const: kind }, ...common, ...props },
  };
}

const FAULT_SET_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['faults'],
  properties: {
    seed: { type: 'integer', minimum: 0, maximum: 0xffff_ffff },
    faults: {
      type: 'array',
      maxItems: MAX_FAULTS,
      items: {
        type: 'object',
        required: ['kind'],
        properties: { kind: { enum: FAULT_KINDS } },
        discriminator: { propertyName: 'kind' },
        oneOf: [
          variant('latency', { ms: { type: 'integer', minimum: 0, maximum: 600_000 } }, ['ms']),
          variant('error5xx', { status: { type: 'integer', minimum: 500, maximum: 599 } }),
          variant('resetMidUpload', { afterBytes: { type: 'integer', minimum: 0, maximum: 2 ** 40 } }, [
            'afterBytes',
          ]),
          variant('commitThenDrop'),
          variant('slowLink', { bytesPerSecond: { type: 'integer', minimum: 1, maximum: 1_000_000_000 } }, [
            'bytesPerSecond',
          ]),
          variant('certificateRejected', { action: { enum: ['answer', 'destroy'] } }),
          variant('diskFull'),
          variant('captivePortal'),
        ],
      },
    },
  },
} as const;

const ajv = new Ajv({ allErrors: true, discriminator: true, strict: true, strictTypes: false });
const validateFaultSet = ajv.compile(FAULT_SET_SCHEMA);

function describe(error: ErrorObject): FaultProblem {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties':
      return {
        path: `${error.instancePath}/${String(params.additionalProperty)}`,
        message: 'is not a known key',
      };
    case 'required':
      return { path: `${error.instancePath}/${String(params.missingProperty)}`, message: 'is required' };
    case 'discriminator':
      return { path: `${error.instancePath}/kind`, message: `must be one of: ${FAULT_KINDS.join(', ')}` };
    case 'enum':
      return {
        path: error.instancePath,
        message: `must be one of: ${(params.allowedValues as unknown[]).join(', ')}`,
      };
    default:
      return { path: error.instancePath, message: error.message ?? error.keyword };
  }
}

const NOT_ON_REQUEST: ReadonlySet<FaultKind> = new Set(['commitThenDrop', 'diskFull']);

/**
 * Checks a fault set as PUT /v1/sim/faults receives it.
 * @throws {CentralFaultsError} listing every problem.
 */
export function parseFaultSet(body: unknown): { seed?: number; faults: FaultSpec[] } {
  if (!validateFaultSet(body)) throw new CentralFaultsError((validateFaultSet.errors ?? []).map(describe));
  const set = body as { seed?: number; faults: FaultSpec[] };
  const problems: FaultProblem[] = [];
  const ids = new Set<string>();
  set.faults.forEach((fault, index) => {
    const id = fault.id ?? `${fault.kind}-${index}`;
    if (ids.has(id)) problems.push({ path: `/faults/${index}/id`, message: `repeats the id '${id}'` });
    ids.add(id);
    if (NOT_ON_REQUEST.has(fault.kind) && (fault.path !== undefined || fault.method !== undefined))
      problems.push({
        path: `/faults/${index}`,
        message: `${fault.kind} does not act on a request: path and method do not apply to it`,
      });
  });
  if (problems.length > 0) throw new CentralFaultsError(problems);
  return set;
}

/** mulberry32: a small, well-mixed 32-bit generator; enough for reproducible fault rolls. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
  };
}

interface ActiveFault {
  readonly spec: FaultSpec;
  readonly id: string;
  remaining: number | undefined;
  fired: number;
}

const sleepMs = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function zeroCounts(): Record<FaultKind, number> {
  return Object.fromEntries(FAULT_KINDS.map((kind) => [kind, 0])) as Record<FaultKind, number>;
}

function urlPath(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

function answerJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    connection: 'close',
  });
  res.end(text);
}

/** What a hotel's or hospital's portal answers to any request before the guest logs in. */
export const CAPTIVE_PORTAL_HTML = `<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8"><title>Đăng nhập Wi-Fi / Wi-Fi login</title></head>
<body><h1>Chào mừng quý khách / Welcome</h1>
<form method="post" action="/login"><label>Số phòng / Room <input name="room"></label>
<label>Mật khẩu / Password <input name="password" type="password"></label>
<button>Đăng nhập / Log in</button></form></body></html>
`;

/**
 * Hands `push` of an incoming request to `intercept`: the HTTP parser pushes each body chunk (and
 * null at the end) straight into the request stream (node's _http_common parserOnBody), so this
 * sees every byte before any consumer does, without adding a 'data' listener that would steal it.
 * A false return makes the parser pause the socket: backpressure, so memory stays bounded.
 */
function interceptBody(
  req: IncomingMessage,
  intercept: (chunk: Buffer | null, push: (chunk: Buffer | null) => boolean) => boolean,
): void {
  const push = req.push.bind(req) as (chunk: Buffer | null) => boolean;
  req.push = (chunk: unknown) => intercept(chunk as Buffer | null, push);
}

/**
 * Destroys the connection once the bytes already given to the request stream have been read, waiting
 * at most 1 s of wall time for the handler to read them (a loaded machine may take a while to start
 * reading: counting event-loop turns instead would give up after a few milliseconds and lose them).
 */
function destroyWhenRead(req: IncomingMessage): void {
  const deadline = performance.now() + 1000;
  const step = () => {
    if (req.readableLength > 0 && !req.destroyed && performance.now() < deadline) setTimeout(step, 1);
    else req.socket.destroy();
  };
  setImmediate(step);
}

/** The faults of one simulated central; see the module comment. */
export class CentralFaults implements CentralFaultHooks {
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #defaultSeed: number;
  #seed: number;
  #random: () => number;
  #faults: ActiveFault[] = [];
  readonly #totals = zeroCounts();

  /** @throws {CentralFaultsError} for invalid initial faults. */
  constructor(options: CentralFaultsOptions = {}) {
    this.#sleep = options.sleep ?? sleepMs;
    this.#defaultSeed = options.seed ?? 1;
    this.#seed = this.#defaultSeed;
    this.#random = mulberry32(this.#seed);
    if (options.faults) this.set(options.faults);
  }

  /**
   * Replaces the fault set and restarts the generator at `seed` (default: the constructor's), so
   * the same set, seed and requests give the same faults.
   * @throws {CentralFaultsError} for an invalid set (the current one is kept).
   */
  set(faults: readonly FaultSpec[], seed?: number): void {
    const parsed = parseFaultSet(seed === undefined ? { faults } : { seed, faults });
    this.#seed = parsed.seed ?? this.#defaultSeed;
    this.#random = mulberry32(this.#seed);
    this.#faults = parsed.faults.map((spec, index) => ({
      spec,
      id: spec.id ?? `${spec.kind}-${index}`,
      remaining: spec.count,
      fired: 0,
    }));
  }

  /** Removes every fault; the per-kind totals stay. */
  clear(): void {
    this.#faults = [];
  }

  snapshot(): FaultSnapshot {
    return {
      seed: this.#seed,
      faults: this.#faults.map((f) => ({
        ...f.spec,
        id: f.id,
        remaining: f.remaining ?? null,
        fired: f.fired,
      })),
      fired: { ...this.#totals },
    };
  }

  /** Whether `fault` fires at this opportunity; reserves one of its `count`. */
  #take(fault: ActiveFault): boolean {
    if (fault.remaining === 0) return false;
    const probability = fault.spec.probability ?? 1;
    if (probability < 1 && !(this.#random() < probability)) return false;
    if (fault.remaining !== undefined) fault.remaining -= 1;
    return true;
  }

  #fired(fault: ActiveFault): void {
    fault.fired += 1;
    this.#totals[fault.spec.kind] += 1;
  }

  async onRequest(req: IncomingMessage, res: ServerResponse): Promise<'continue' | 'handled'> {
    const path = urlPath(req);
    if (path === '/v1/sim' || path.startsWith('/v1/sim/')) return 'continue';
    const method = (req.method ?? 'GET').toUpperCase();
    for (const fault of this.#faults) {
      const { spec } = fault;
      if (NOT_ON_REQUEST.has(spec.kind)) continue;
      if (spec.path !== undefined && !path.startsWith(spec.path)) continue;
      const wanted = spec.method ?? (spec.kind === 'resetMidUpload' ? 'PATCH' : undefined);
      if (wanted !== undefined && wanted !== method) continue;
      if (!this.#take(fault)) continue;
      switch (spec.kind) {
        case 'latency':
          this.#fired(fault);
          await this.#sleep(spec.ms);
          break;
        case 'error5xx':
          this.#fired(fault);
          answerJson(res, spec.status ?? 503, {
            code: 'CENTRAL_FAULT_INJECTED',
            message: {
              vi: 'Máy chủ trung tâm (giả lập) đang lỗi tạm thời; hồ sơ vẫn nằm trong hàng đợi và sẽ được gửi lại.',
              en: 'The (simulated) central service failed for now; the packet stays queued and will be sent again.',
            },
          });
          return 'handled';
        case 'certificateRejected':
          this.#fired(fault);
          if (spec.action === 'destroy') {
            req.socket.destroy();
            return 'handled';
          }
          answerJson(res, 403, {
            code: 'CENTRAL_CERTIFICATE_REJECTED',
            message: {
              vi: 'Máy chủ trung tâm từ chối chứng thư của trạm. Liên hệ bộ phận quản trị để kiểm tra chứng thư trạm.',
              en: "Central rejected the station's certificate. Ask the administrators to check the station certificate.",
            },
          });
          return 'handled';
        case 'captivePortal': {
          this.#fired(fault);
          res.writeHead(200, {
            'content-type': 'text/html; charset=utf-8',
            'content-length': Buffer.byteLength(CAPTIVE_PORTAL_HTML),
            'cache-control': 'no-store',
            connection: 'close',
          });
          res.end(CAPTIVE_PORTAL_HTML);
          return 'handled';
        }
        case 'resetMidUpload':
          if (spec.afterBytes === 0) {
            // Nothing may pass: cut before the first body byte (a body-less request is cut too).
            this.#fired(fault);
            req.socket.destroy();
            return 'handled';
          }
          this.#armReset(req, fault, spec.afterBytes);
          break;
        case 'slowLink':
          this.#fired(fault);
          this.#throttle(req, spec.bytesPerSecond);
          break;
      }
    }
    return 'continue';
  }

  /** Lets `afterBytes` body bytes through, then destroys the connection; a shorter body gives the reservation back. */
  #armReset(req: IncomingMessage, fault: ActiveFault, afterBytes: number): void {
    let seen = 0;
    let cut = false;
    interceptBody(req, (chunk, push) => {
      if (cut) return false;
      if (chunk === null) {
        if (fault.remaining !== undefined) fault.remaining += 1;
        return push(null);
      }
      if (seen + chunk.length < afterBytes) {
        seen += chunk.length;
        return push(chunk);
      }
      cut = true;
      const head = chunk.subarray(0, afterBytes - seen);
      seen = afterBytes;
      this.#fired(fault);
      if (head.length > 0) push(head);
      req.socket.pause();
      destroyWhenRead(req);
      return false;
    });
  }

  /**
   * Feeds the request body to its consumer at `bytesPerSecond`, in slices of 1/20 s, holding the
   * rest while the parser's socket stays paused (push returns false).
   */
  #throttle(req: IncomingMessage, bytesPerSecond: number): void {
    const slice = Math.max(1, Math.floor(bytesPerSecond / 20));
    const queue: (Buffer | null)[] = [];
    let timer: NodeJS.Timeout | undefined;
    let push: (chunk: Buffer | null) => boolean = () => false;
    const pump = () => {
      timer = undefined;
      if (req.destroyed) {
        queue.length = 0;
        return;
      }
      const head = queue[0];
      if (head === undefined) return;
      if (head === null) {
        queue.shift();
        push(null);
        return;
      }
      const part = head.subarray(0, slice);
      if (part.length === head.length) queue.shift();
      else queue[0] = head.subarray(part.length);
      push(part);
      timer = setTimeout(pump, (part.length * 1000) / bytesPerSecond);
    };
    interceptBody(req, (chunk, realPush) => {
      push = realPush;
      queue.push(chunk);
      if (timer === undefined) pump();
      return queue.length === 0;
    });
    req.once('close', () => {
      if (timer !== undefined) clearTimeout(timer);
      queue.length = 0;
    });
  }

  afterCommit(_packetId: string): 'answer' | 'drop' {
    for (const fault of this.#faults) {
      if (fault.spec.kind !== 'commitThenDrop' || !this.#take(fault)) continue;
      this.#fired(fault);
      return 'drop';
    }
    return 'answer';
  }

  diskFull(): boolean {
    for (const fault of this.#faults) {
      if (fault.spec.kind !== 'diskFull' || !this.#take(fault)) continue;
      this.#fired(fault);
      return true;
    }
    return false;
  }
}

/** Largest control-API body accepted, bytes. */
const CONTROL_BODY_LIMIT = 64 * 1024;

/**
 * The control API of the faults (simulator only; never behind a client certificate):
 * - `GET /v1/sim/faults`: the snapshot (set, remaining, per-fault and per-kind `fired`);
 * - `PUT /v1/sim/faults`: body `{ seed?, faults: FaultSpec[] }` replaces the set; 200 with the
 *   snapshot, 400 `CENTRAL_SIM_FAULTS_INVALID` with `problems` for a bad body (the set is kept);
 * - `DELETE /v1/sim/faults`: removes every fault; 200 with the snapshot (totals kept).
 */
export function registerFaultRoutes(app: FastifyInstance, faults: CentralFaults): void {
  app.get('/v1/sim/faults', async () => faults.snapshot());
  app.put('/v1/sim/faults', { bodyLimit: CONTROL_BODY_LIMIT }, async (request, reply) => {
    try {
      const set = parseFaultSet(request.body);
      faults.set(set.faults, set.seed);
    } catch (error) {
      if (!(error instanceof CentralFaultsError)) throw error;
      return reply.code(400).send({ code: error.code, message: error.message, problems: error.problems });
    }
    return faults.snapshot();
  });
  app.delete('/v1/sim/faults', async () => {
    faults.clear();
    return faults.snapshot();
  });
}

/**
 * Wires `faults.onRequest` into a fastify app as its first onRequest hook (before any body is
 * read); a request the hook handled is hijacked so fastify sends nothing more.
 */
export function installFaultHook(app: FastifyInstance, faults: CentralFaultHooks): void {
  app.addHook('onRequest', async (request, reply) => {
    if ((await faults.onRequest(request.raw, reply.raw)) === 'handled') {
      reply.hijack();
      return reply;
    }
    return undefined;
  });
}
