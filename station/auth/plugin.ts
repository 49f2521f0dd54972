/**
 * Officer accounts over HTTP, and the safety rails every route of the station runs behind.
 *
 *   POST /auth/login                 { account, password } → session; sets the __Host-cccd-session cookie
 *   POST /auth/logout                ends this session
 *   POST /auth/logout-all            ends every session of this account
 *   GET  /auth/me                    account, roles, session state (active | locked); not an action
 *   POST /auth/unlock                { password } a locked screen; the cookie rotates
 *   POST /auth/reauth                { password } | { pin } → a one-use signing grant
 *   POST /auth/pin                   { password, pin } sets the officer's own PIN
 *   GET  /auth/accounts              supervisor, admin: every account (never a hash)
 *   POST /auth/accounts              admin: { id, displayName, roles, password } a new account
 *   POST /auth/accounts/:id/unlock   supervisor, admin: lifts a failure lock
 *   POST /auth/accounts/:id/disable  admin (ends its sessions); /enable again
 *   POST /auth/accounts/:id/reset    admin: { password } a new password (ends its sessions)
 *   POST /auth/accounts/:id/logout-all  admin: ends its sessions
 *
 * The rails, as onRequest hooks of the whole app (the plugin is registered without encapsulation):
 * - Host allowlist: the Host header's name is localhost, 127.0.0.1, [::1], server.host or one of
 *   auth.allowedHosts (any port). A DNS-rebinding page reaches us under its own name and is refused.
 * - Origin: SameSite ignores ports, so another local web server's page is "same site". Every write
 *   (not GET/HEAD/OPTIONS) that carries the session cookie, and every WebSocket upgrade, must carry
 *   an Origin equal to the station's own (scheme + the Host it was reached at); a write with any other
 *   Origin is refused whether or not it has a cookie. Browsers always send Origin on non-GET fetches,
 *   so a cookie write without one is not from our screen.
 * - Headers: a strict Content-Security-Policy, nosniff, no referrer, and Cache-Control: no-store
 *   unless a route sets its own.
 * - auth.required: every route but /health, /, /openapi.json, /auth/* and static files needs an unlocked session.
 */
import type {
  FastifyInstance,
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
  preHandlerAsyncHookHandler,
} from 'fastify';
import { NO_BODY, NO_QUERY, openObject, responses } from '../api-schema.ts';
import { AuthError } from './errors.ts';
import type { AuthService, Officer } from './service.ts';
import { ACCOUNT_ID_PATTERN, ROLES, type Role } from './store.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The officer of the request's session, set by requireSession (or the auth.required hook). */
    officer: Officer | undefined;
  }
}

export const SESSION_COOKIE = '__Host-cccd-session';

export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; img-src 'self' blob: data:; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

export interface AuthPluginOptions {
  readonly service: AuthService;
  /** Every route (but the exempt ones) needs a session. */
  readonly required: boolean;
  /** server.host of the configuration (answered to, unless it is a wildcard address). */
  readonly serverHost: string;
  /** auth.allowedHosts: further names the station is reached at. */
  readonly allowedHosts: readonly string[];
  /** The station serves HTTPS (its own origin's scheme). */
  readonly tls: boolean;
}

/** Host names every station answers to. */
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Paths open without a session when auth.required is set (the /auth/ routes check for themselves). */
const OPEN_PATHS = new Set(['/', '/health', '/openapi.json', '/favicon.ico', '/docs']);
const OPEN_PREFIXES = ['/auth/', '/ui/', '/docs/', '/static/'];

/** The host name of a Host header (`[::1]:8080` → `::1`), lowercased; undefined when malformed. */
export function hostName(header: string | undefined): string | undefined {
  if (header === undefined || header === '' || header.length > 300) return undefined;
  const value = header.toLowerCase();
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    if (end < 0) return undefined;
    const rest = value.slice(end + 1);
    if (rest !== '' && !/^:[0-9]{1,5}$/.test(rest)) return undefined;
    return value.slice(1, end);
  }
  const match = /^([a-z0-9.-]+)(:[0-9]{1,5})?$/.exec(value);
  return match?.[1];
}

/** The session token from a Cookie header (the first `__Host-cccd-session`). */
export function sessionToken(cookieHeader: string | undefined): string | undefined {
  if (cookieHeader === undefined) return undefined;
  for (const part of cookieHeader.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function sessionCookie(token: string, maxAgeSeconds: number): string {
  return `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=${maxAgeSeconds}`;
}

const CLEAR_COOKIE = `${SESSION_COOKIE}=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0`;

/**
 * The header a screen puts on the requests it makes by itself (status polling), so they do not count
 * as the officer's action and the idle lock still comes: `x-cccd-background: 1`.
 */
export const BACKGROUND_HEADER = 'x-cccd-background';

function isBackground(request: FastifyRequest): boolean {
  return request.headers[BACKGROUND_HEADER] === '1';
}

/** Sends an AuthError as the API answers it (status, Retry-After, { error: { code, message, officer } }). */
export function sendAuthError(reply: FastifyReply, error: AuthError): FastifyReply {
  if (error.retryAfterSeconds !== undefined) reply.header('retry-after', String(error.retryAfterSeconds));
  if (error.code === 'AUTH_SESSION_REQUIRED' || error.code === 'AUTH_SESSION_EXPIRED')
    reply.header('set-cookie', CLEAR_COOKIE);
  return reply.code(error.statusCode).send(error.toJSON());
}

/**
 * A preHandler for the workflows' routes: an unlocked session whose account has one of `roles` (any
 * role when none are given); puts `request.officer` on the request.
 * Answers 401 AUTH_SESSION_REQUIRED / AUTH_SESSION_EXPIRED, 423 AUTH_SESSION_LOCKED, 403 AUTH_FORBIDDEN.
 */
export function requireSession(service: AuthService, ...roles: Role[]): preHandlerAsyncHookHandler {
  return async (request, reply) => {
    try {
      let officer = request.officer;
      if (officer === undefined) {
        officer = (
          await service.authenticate(sessionToken(request.headers.cookie), { touch: !isBackground(request) })
        ).officer;
        request.officer = officer;
      }
      if (roles.length > 0 && !roles.some((role) => officer.roles.includes(role)))
        throw new AuthError('AUTH_FORBIDDEN', `this needs the role ${roles.join(' or ')}`);
    } catch (error) {
      if (error instanceof AuthError) return sendAuthError(reply, error);
      throw error;
    }
  };
}

/**
 * Whether the session a request came with is still open and unlocked (without touching it: a stream
 * that keeps running is not the officer's activity). For long-lived answers such as live streams,
 * which must end when the screen locks, the officer logs out, or the session expires.
 */
export function sessionStillActive(service: AuthService): (request: FastifyRequest) => Promise<boolean> {
  return async (request) => {
    try {
      await service.authenticate(sessionToken(request.headers.cookie), { touch: false });
      return true;
    } catch (error) {
      if (error instanceof AuthError) return false;
      throw error;
    }
  };
}

const ACCOUNT_ID = { type: 'string', pattern: ACCOUNT_ID_PATTERN, maxLength: 64 } as const;
const PASSWORD = { type: 'string', minLength: 1, maxLength: 256 } as const;
const PIN = { type: 'string', pattern: '^[0-9]{6,12}$' } as const;
const ID_PARAMS = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: ACCOUNT_ID },
} as const;

function body(properties: Record<string, unknown>, required: readonly string[]) {
  return { type: 'object', additionalProperties: false, required, properties } as const;
}

const SESSION_VIEW = openObject(
  'the account (id, display name, roles) and the session (active | locked, expiry)',
);
const ACCOUNT_VIEW = openObject('an account: id, display name, roles, state (never a hash)', {
  id: { type: 'string' },
});
const NO_CONTENT = { 204: { type: 'null', description: 'done' } } as const;

/** The schema parts of an /auth/ route: its tag, summary, no query, and its answers. */
function doc(summary: string, ok: Record<string, unknown>) {
  return { tags: ['auth'], summary, querystring: NO_QUERY, response: responses(ok) };
}

const plugin: FastifyPluginAsync<AuthPluginOptions> = async (app: FastifyInstance, options) => {
  const { service } = options;
  const allowed = new Set(
    [...LOOPBACK_NAMES, options.serverHost, ...options.allowedHosts]
      .map((name) => name.toLowerCase().replace(/^\[(.*)\]$/, '$1'))
      .filter((name) => name !== '0.0.0.0' && name !== '::' && name !== ''),
  );
  const scheme = options.tls ? 'https' : 'http';
  const cookieMaxAge = Math.floor(service.sessions.lifetimeMs / 1000);

  app.decorateRequest('officer', undefined);

  app.addHook('onRequest', async (request, reply) => {
    const raw = reply.raw;
    raw.setHeader('content-security-policy', CONTENT_SECURITY_POLICY);
    raw.setHeader('x-content-type-options', 'nosniff');
    raw.setHeader('referrer-policy', 'no-referrer');
    raw.setHeader('x-frame-options', 'DENY');
    raw.setHeader('cache-control', 'no-store');

    const host = hostName(request.headers.host);
    if (host === undefined || !allowed.has(host))
      return sendAuthError(
        reply,
        new AuthError(
          'AUTH_HOST_NOT_ALLOWED',
          `the Host ${JSON.stringify(request.headers.host ?? '')} is not one this station answers to`,
        ),
      );

    const origin = request.headers.origin;
    const ownOrigin = `${scheme}://${(request.headers.host ?? '').toLowerCase()}`;
    const upgrade = request.headers.upgrade?.toLowerCase() === 'websocket';
    const write = !SAFE_METHODS.has(request.method);
    const cookie = sessionToken(request.headers.cookie) !== undefined;
    const mustMatch = upgrade || (write && (cookie || origin !== undefined));
    if (mustMatch && origin?.toLowerCase() !== ownOrigin)
      return sendAuthError(
        reply,
        new AuthError(
          'AUTH_ORIGIN_REFUSED',
          origin === undefined
            ? `a ${upgrade ? 'WebSocket upgrade' : 'write with a session cookie'} must carry the Origin ${ownOrigin}`
            : `the Origin ${origin} is not this station's (${ownOrigin})`,
        ),
      );

    if (!options.required) return;
    // The matched route's pattern, not the raw URL: `/auth/../devices` or `/health;x` match no open
    // route. A URL that matches no route needs a session too (no probing for routes).
    const route = request.routeOptions.url;
    if (
      route !== undefined &&
      (OPEN_PATHS.has(route) || OPEN_PREFIXES.some((prefix) => route.startsWith(prefix)))
    )
      return;
    try {
      request.officer = (
        await service.authenticate(sessionToken(request.headers.cookie), { touch: !isBackground(request) })
      ).officer;
    } catch (error) {
      if (error instanceof AuthError) return sendAuthError(reply, error);
      throw error;
    }
  });

  /** Runs a route's work, answering an AuthError as the API does. */
  const answer = async <T>(reply: FastifyReply, work: () => Promise<T>) => {
    try {
      return await work();
    } catch (error) {
      if (error instanceof AuthError) return sendAuthError(reply, error);
      throw error;
    }
  };
  const token = (request: FastifyRequest) => sessionToken(request.headers.cookie);
  const supervisor = requireSession(service, 'supervisor', 'admin');
  const admin = requireSession(service, 'admin');

  app.post<{ Body: { account: string; password: string } }>(
    '/auth/login',
    {
      schema: {
        ...doc('Sign in: a session, and the __Host-cccd-session cookie', { 200: SESSION_VIEW }),
        security: [],
        body: body({ account: { type: 'string', minLength: 1, maxLength: 64 }, password: PASSWORD }, [
          'account',
          'password',
        ]),
      },
    },
    async (request, reply) =>
      answer(reply, async () => {
        const { token: fresh, view } = await service.login(
          request.body.account,
          request.body.password,
          request.ip,
          token(request),
        );
        reply.header('set-cookie', sessionCookie(fresh, cookieMaxAge));
        return view;
      }),
  );

  app.post(
    '/auth/logout',
    { schema: { ...doc('End this session', NO_CONTENT), body: NO_BODY } },
    async (request, reply) => {
      service.logout(token(request));
      reply.header('set-cookie', CLEAR_COOKIE);
      return reply.code(204).send();
    },
  );

  const ENDED = {
    200: {
      type: 'object',
      additionalProperties: false,
      required: ['ended'],
      properties: { ended: { type: 'integer', description: 'sessions ended' } },
    },
  } as const;

  app.post(
    '/auth/logout-all',
    { schema: { ...doc('End every session of this account', ENDED), body: NO_BODY } },
    async (request, reply) =>
      answer(reply, async () => {
        const { officer } = await service.authenticate(token(request), { allowLocked: true, touch: false });
        const ended = await service.logoutAccount(officer.id);
        reply.header('set-cookie', CLEAR_COOKIE);
        return { ended };
      }),
  );

  app.get(
    '/auth/me',
    {
      schema: doc("This session's account, roles and state (active | locked); not an action", {
        200: SESSION_VIEW,
      }),
    },
    async (request, reply) =>
      answer(
        reply,
        async () => (await service.authenticate(token(request), { allowLocked: true, touch: false })).view,
      ),
  );

  app.post<{ Body: { password: string } }>(
    '/auth/unlock',
    {
      schema: {
        ...doc('Unlock a locked screen with the password (the cookie rotates)', { 200: SESSION_VIEW }),
        body: body({ password: PASSWORD }, ['password']),
      },
    },
    async (request, reply) =>
      answer(reply, async () => {
        const { token: fresh, view } = await service.unlock(
          token(request),
          request.body.password,
          request.ip,
        );
        reply.header('set-cookie', sessionCookie(fresh, cookieMaxAge));
        return view;
      }),
  );

  app.post<{ Body: { password: string } | { pin: string } }>(
    '/auth/reauth',
    {
      schema: {
        ...doc('Enter the password or PIN again: a one-use signing grant', {
          200: {
            type: 'object',
            additionalProperties: false,
            required: ['grantId', 'method', 'at', 'expiresAt'],
            properties: {
              grantId: { type: 'string' },
              method: { type: 'string' },
              at: { type: 'string', format: 'date-time' },
              expiresAt: { type: 'string', format: 'date-time' },
            },
          },
        }),
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { password: PASSWORD, pin: PIN },
          oneOf: [{ required: ['password'] }, { required: ['pin'] }],
        },
      },
    },
    async (request, reply) =>
      answer(reply, async () => {
        const grant = await service.reauth(token(request), request.body, request.ip);
        return {
          grantId: grant.grantId,
          method: grant.method,
          at: new Date(grant.at).toISOString(),
          expiresAt: new Date(grant.expiresAt).toISOString(),
        };
      }),
  );

  app.post<{ Body: { password: string; pin: string } }>(
    '/auth/pin',
    {
      schema: {
        ...doc("Set the officer's own PIN (the password confirms it)", NO_CONTENT),
        body: body({ password: PASSWORD, pin: PIN }, ['password', 'pin']),
      },
    },
    async (request, reply) =>
      answer(reply, async () => {
        await service.setPin(token(request), request.body.password, request.body.pin, request.ip);
        return reply.code(204).send();
      }),
  );

  app.get(
    '/auth/accounts',
    {
      preHandler: supervisor,
      schema: doc('Every account (supervisor, admin)', {
        200: {
          type: 'object',
          additionalProperties: false,
          required: ['accounts'],
          properties: { accounts: { type: 'array', items: ACCOUNT_VIEW } },
        },
      }),
    },
    async (_request, reply) => answer(reply, async () => ({ accounts: await service.admin.list() })),
  );

  app.post<{ Body: { id: string; displayName: string; roles: Role[]; password: string } }>(
    '/auth/accounts',
    {
      preHandler: admin,
      schema: {
        ...doc('A new account (admin)', { 201: ACCOUNT_VIEW }),
        body: body(
          {
            id: ACCOUNT_ID,
            displayName: { type: 'string', minLength: 1, maxLength: 200 },
            roles: {
              type: 'array',
              minItems: 1,
              uniqueItems: true,
              items: { type: 'string', enum: [...ROLES] },
            },
            password: PASSWORD,
          },
          ['id', 'displayName', 'roles', 'password'],
        ),
      },
    },
    async (request, reply) =>
      answer(reply, async () => {
        const view = await service.admin.add(request.body);
        return reply.code(201).send(view);
      }),
  );

  const accountAction = (
    action: string,
    summary: string,
    guard: preHandlerAsyncHookHandler,
    run: (id: string, request: FastifyRequest) => Promise<unknown>,
    bodySchema: Record<string, unknown> = NO_BODY,
  ) =>
    app.post<{ Params: { id: string } }>(
      `/auth/accounts/:id/${action}`,
      {
        preHandler: guard,
        schema: {
          ...doc(summary, { 200: openObject('the account after the action, or the sessions ended') }),
          params: ID_PARAMS,
          body: bodySchema,
        },
      },
      async (request, reply) => answer(reply, () => run(request.params.id, request)),
    );

  accountAction('unlock', 'Lift a failure lock (supervisor, admin)', supervisor, (id) =>
    service.unlockAccount(id),
  );
  accountAction('disable', 'Disable an account and end its sessions (admin)', admin, (id) =>
    service.setDisabled(id, true),
  );
  accountAction('enable', 'Enable a disabled account (admin)', admin, (id) => service.setDisabled(id, false));
  accountAction(
    'reset',
    'Give an account a new password and end its sessions (admin)',
    admin,
    (id, request) => service.resetAccount(id, (request.body as { password: string }).password),
    body({ password: PASSWORD }, ['password']),
  );
  accountAction('logout-all', 'End every session of an account (admin)', admin, async (id) => ({
    ended: await service.logoutAccount(id),
  }));
};

// Registered without encapsulation: the rails and the `officer` decoration apply to the whole app.
Object.assign(plugin, { [Symbol.for('skip-override')]: true });

export const authPlugin: FastifyPluginAsync<AuthPluginOptions> = plugin;
