/**
 * The screen's language: Vietnamese by default, English on request, remembered in the browser. A
 * message is looked up by key and its `{name}` placeholders filled in.
 */
import { en } from './en.ts';
import { type MessageKey, vi } from './vi.ts';

export type Lang = 'vi' | 'en';
export type { MessageKey };

export const CATALOGUES: Readonly<Record<Lang, Readonly<Record<MessageKey, string>>>> = { vi, en };

const STORAGE_KEY = 'cccd-station.lang';

export function initialLang(): Lang {
  try {
    return globalThis.localStorage?.getItem(STORAGE_KEY) === 'en' ? 'en' : 'vi';
  } catch {
    return 'vi';
  }
}

export function rememberLang(lang: Lang): void {
  try {
    globalThis.localStorage?.setItem(STORAGE_KEY, lang);
  } catch {
    // A browser that keeps nothing only forgets the choice.
  }
  document.documentElement.lang = lang;
}

export type Translate = (key: MessageKey, values?: Readonly<Record<string, string | number>>) => string;

export function translator(lang: Lang): Translate {
  const catalogue = CATALOGUES[lang];
  return (key, values) => {
    const text = catalogue[key];
    if (values === undefined) return text;
    return text.replace(/\{(\w+)\}/g, (whole, name: string) =>
      values[name] === undefined ? whole : String(values[name]),
    );
  };
}

/** A bilingual message from the station (an error's `messages`) in the screen's language. */
export function pick(message: { readonly vi: string; readonly en: string } | undefined, lang: Lang): string {
  return message === undefined ? '' : message[lang];
}
