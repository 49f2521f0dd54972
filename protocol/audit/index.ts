/** The audit trail's pure part (issue 21, Build 8): see README.md in this folder. */
export * from './checkpoint.ts';
export * from './entry.ts';
export * from './verify.ts';
