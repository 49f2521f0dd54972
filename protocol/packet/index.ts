/** The enrollment packet (issue 17): manifest, container, build and open. README.md beside this file. */
export * from './build.ts';
export * from './container.ts';
export type * from './crypto.ts';
export type * from './keys.ts';
export * from './manifest.ts';
export * from './open.ts';
