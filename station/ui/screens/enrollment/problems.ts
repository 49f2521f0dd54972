/**
 * The station's per-field problems (a refused step's `problems`: a JSON pointer into the step's
 * input and the officer's message in both languages) by the form's field key, in the screen's
 * language: `/fullName` and `/step/input/fullName` both become `fullName`, `/father/fullName`
 * becomes `father.fullName`.
 */
import { ApiError } from '../../api.ts';
import type { Lang } from '../../i18n/index.ts';

export function fieldKey(pointer: string): string {
  return pointer
    .replace(/^\/?(?:body\/)?(?:step\/)?(?:input\/)?/, '')
    .replace(/^\//, '')
    .replaceAll('/', '.');
}

export function problemsByField(errors: readonly unknown[], lang: Lang): Record<string, string> {
  const out: Record<string, string> = {};
  for (const error of errors) {
    if (!(error instanceof ApiError)) continue;
    for (const problem of error.problems) {
      const pointer = problem.field ?? problem.key;
      if (pointer === undefined) continue;
      const key = fieldKey(pointer);
      const message = typeof problem.message === 'string' ? problem.message : problem.message[lang];
      out[key] = out[key] === undefined ? message : `${out[key]} ${message}`;
    }
  }
  return out;
}
