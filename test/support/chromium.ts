/** Debian's Chromium for the browser tests: where it is, and the flags it needs headless here. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * No sandbox (the tests run as root), no GPU, no /dev/shm, and nothing that reaches for the network
 * (this machine's network is closed: without these Chromium keeps trying Google's hosts).
 */
export const HEADLESS_FLAGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
