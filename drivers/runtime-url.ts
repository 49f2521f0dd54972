/**
 * Where the station's own files are at run time, in both ways it runs (issue 21, part 9):
 *
 * - from the sources, `.ts` files loaded by vitest or tsx (tests, benchmarks, scripts);
 * - from the build, `.js` files that `npm run build` compiled into `dist/` at the same relative places
 *   (`station/x.ts` → `dist/station/x.js`), loaded by Node.js alone.
 *
 * A module that names a sibling by path (a worker thread's module, a child process's entry) asks here
 * instead of writing `./x.ts`: the sibling gets the running module's own extension, so the build never
 * points back at a source file, and no source file names a compiled one. tsc rewrites import
 * specifiers (`rewriteRelativeImportExtensions`) but not URLs built at run time, hence this module.
 *
 * It lives in drivers/ because the station and the simulators both import drivers/, and protocol/ stays
 * free of run-time concerns. Pure string work on URLs: no file is read here.
 */

/** The extension of a module URL's file (`.ts`, `.js`, `.mjs`), or '' when it has none. */
function extensionOf(url: string | URL): string {
  const pathname = new URL(url).pathname;
  const slash = pathname.lastIndexOf('/');
  const dot = pathname.lastIndexOf('.');
  return dot > slash ? pathname.slice(dot) : '';
}

/** True when this module runs from TypeScript sources (`.ts`, `.mts`), false from the compiled build. */
function isTypeScript(url: string | URL): boolean {
  return /\.[cm]?ts$/.test(new URL(url).pathname);
}

/** True when the code runs from the compiled build in dist/, false from the TypeScript sources. */
export const RUNNING_FROM_BUILD: boolean = !isTypeScript(import.meta.url);

/**
 * The checkout's root directory (ending in '/'): the parent of drivers/ from the sources, the parent of
 * dist/ from the build. Files that stay outside the build (package.json, scripts/runtime.env, the
 * default station.config.json) are found from here.
 */
export const CHECKOUT_URL: URL = new URL(RUNNING_FROM_BUILD ? '../../' : '../', import.meta.url);

/**
 * The module `stem` (a relative path without extension, e.g. `'./worker'`, `'../hotpath/worker'`)
 * next to the module at `base` (its `import.meta.url`), with `base`'s own extension: the `.ts` source
 * when `base` is a source, the compiled `.js` when `base` is in dist/.
 * @throws {TypeError} when `stem` already carries an extension or `base` has none (a programming error:
 *   the extension is what this function chooses).
 */
export function siblingModule(stem: string, base: string | URL): URL {
  const extension = extensionOf(base);
  if (extension === '') throw new TypeError(`siblingModule: ${String(base)} has no file extension`);
  if (extensionOf(new URL(stem, 'file:///')) !== '')
    throw new TypeError(`siblingModule: give '${stem}' without its extension`);
  return new URL(`${stem}${extension}`, base);
}

/**
 * The URL to start a worker thread with, for the worker module `module`. A TypeScript module cannot run
 * on Node.js alone: it starts through `typeScriptEntry`, a small `.mjs` that registers tsx in the thread
 * and then imports `workerData.module` (so the caller passes `module.href` there). A JavaScript module,
 * the build's or a test's stand-in, starts directly; the `.mjs` entries are never needed by the build.
 */
export function workerStartUrl(module: URL, typeScriptEntry: URL): URL {
  return isTypeScript(module) ? typeScriptEntry : module;
}
