import { readFileSync } from 'node:fs';
import { CHECKOUT_URL } from '../drivers/runtime-url.ts';

/** The station's version, from package.json (read once at startup). */
export const STATION_VERSION: string = (() => {
  const pkg: unknown = JSON.parse(readFileSync(new URL('package.json', CHECKOUT_URL), 'utf8'));
  if (typeof pkg === 'object' && pkg !== null && 'version' in pkg && typeof pkg.version === 'string')
    return pkg.version;
  throw new Error('package.json has no version string');
})();
