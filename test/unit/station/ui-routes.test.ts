/**
 * The screen's files as the station serves them (station/plugins/ui.ts): the page, script and style
 * of a build with their types and ETags, 304 for an unchanged file, nothing else from the folder,
 * and a clear 503 when the screen has not been built.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import Fastify from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { uiRoutes, wantsPage } from '../../../station/plugins/ui.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'ui-routes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the screen’s routes', () => {
  it('serves the built page, script and style with their types, and 304 to a matching ETag', async () => {
    writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>t</title>');
    writeFileSync(path.join(dir, 'app.js'), 'console.log(1)');
    writeFileSync(path.join(dir, 'app.css'), 'body{}');
    writeFileSync(path.join(dir, 'secret.txt'), 'not served');
    const app = Fastify();
    await app.register(uiRoutes, { dir: pathToFileURL(`${dir}/`) });
    const page = await app.inject({ url: '/ui/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('<title>t</title>');
    const script = await app.inject({ url: '/ui/app.js' });
    expect(script.headers['content-type']).toMatch(/^text\/javascript/);
    expect(script.headers['cache-control']).toBe('no-cache');
    const again = await app.inject({
      url: '/ui/app.js',
      headers: { 'if-none-match': String(script.headers.etag) },
    });
    expect(again.statusCode).toBe(304);
    expect((await app.inject({ url: '/ui/app.css' })).headers['content-type']).toMatch(/^text\/css/);
    expect((await app.inject({ url: '/ui/secret.txt' })).statusCode).toBe(404);
    expect((await app.inject({ url: '/ui/..%2Fsecret.txt' })).statusCode).toBe(404);
    await app.close();
  });

  it('answers 503 UI_NOT_BUILT with what to run when there is no build', async () => {
    const app = Fastify();
    await app.register(uiRoutes, { dir: pathToFileURL(`${path.join(dir, 'nothing-here')}/`) });
    const answer = await app.inject({ url: '/ui/' });
    expect(answer.statusCode).toBe(503);
    expect(answer.json().error.code).toBe('UI_NOT_BUILT');
    expect(answer.json().error.messages.en).toMatch(/npm run build/);
    await app.close();
  });

  it('tells a browser from a program at /', () => {
    expect(wantsPage('text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8')).toBe(true);
    expect(wantsPage('application/json')).toBe(false);
    expect(wantsPage(undefined)).toBe(false);
  });
});
