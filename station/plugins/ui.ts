/**
 * The officer's and the notary's screen (station/ui, bundled by `npm run build` into dist/ui/):
 * GET /ui/ serves its page, /ui/app.js and /ui/app.css its code and style, and `/` sends a browser
 * there (a program asking for JSON still gets the service's description). The files are read once
 * at start; an unchanged file answers 304 to its ETag. Without a build the screen answers 503
 * UI_NOT_BUILT saying how to build it, and the API is unaffected.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { CHECKOUT_URL } from '../../drivers/runtime-url.ts';
import { NO_QUERY, responses } from '../api-schema.ts';

/** The bundle's files and their types; nothing else under /ui/ is served. */
const FILES: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
  'app.js.map': 'application/json; charset=utf-8',
  'app.css.map': 'application/json; charset=utf-8',
};

interface Served {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
}

export interface UiOptions {
  /** Where the bundle is (default: dist/ui/ of this checkout). */
  readonly dir?: URL;
}

const NOT_BUILT = {
  vi: 'Giao diện của trạm chưa được dựng. Chạy "npm run build" rồi khởi động lại trạm.',
  en: "The station's screen has not been built. Run 'npm run build' and start the station again.",
};

function load(dir: URL): Map<string, Served> {
  const served = new Map<string, Served>();
  for (const [name, type] of Object.entries(FILES)) {
    let body: Buffer;
    try {
      body = readFileSync(new URL(name, dir));
    } catch {
      continue;
    }
    served.set(name, {
      body,
      type,
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
    });
  }
  return served;
}

export const uiRoutes: FastifyPluginAsync<UiOptions> = async (app, options) => {
  const files = load(options.dir ?? new URL('dist/ui/', CHECKOUT_URL));
  const schema = {
    tags: ['ui'],
    security: [],
    querystring: NO_QUERY,
    response: responses({
      200: { description: 'the file (HTML, JavaScript, CSS or a source map)', type: 'string' },
      304: { description: 'unchanged since the ETag given in If-None-Match', type: 'null' },
    }),
  } as const;

  const serve = (name: string, request: FastifyRequest, reply: FastifyReply) => {
    if (!(name in FILES))
      return reply.code(404).send({
        error: {
          code: 'NOT_FOUND',
          message: `No file ${name} in the screen`,
          messages: { vi: 'Không có tệp này trong giao diện.', en: `No file ${name} in the screen.` },
        },
      });
    const file = files.get(name);
    if (file === undefined)
      return reply
        .code(503)
        .send({ error: { code: 'UI_NOT_BUILT', message: NOT_BUILT.en, messages: NOT_BUILT } });
    // The page is asked again each time; the script and style are checked by their ETag.
    reply.header('cache-control', name === 'index.html' ? 'no-store' : 'no-cache');
    reply.header('etag', file.etag);
    if (request.headers['if-none-match'] === file.etag) return reply.code(304).send();
    return reply.type(file.type).send(file.body);
  };

  app.get('/ui/', { schema: { ...schema, summary: "The officer's screen: its page" } }, (request, reply) =>
    serve('index.html', request, reply),
  );
  app.get<{ Params: { file: string } }>(
    '/ui/:file',
    {
      schema: {
        ...schema,
        summary: "The officer's screen: its script, style and their source maps",
        params: {
          type: 'object',
          additionalProperties: false,
          required: ['file'],
          properties: { file: { type: 'string', minLength: 1, maxLength: 64 } },
        },
      },
    },
    (request, reply) => serve(request.params.file, request, reply),
  );
};

/** Whether a request to `/` comes from a browser wanting a page (rather than a program wanting JSON). */
export function wantsPage(accept: string | undefined): boolean {
  return accept !== undefined && /\btext\/html\b/.test(accept);
}
