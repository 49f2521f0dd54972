/**
 * The screen's two catalogues (station/ui/i18n) say the same things: the same keys, no empty
 * message, the same `{placeholders}` in both languages, and Vietnamese in NFC (as the station
 * normalises what is typed), so a message never shows half-translated or with a raw placeholder.
 */
import { describe, expect, it } from 'vitest';
import { en } from '../../../station/ui/i18n/en.ts';
import { vi } from '../../../station/ui/i18n/vi.ts';

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('the screen’s catalogues', () => {
  it('have the same keys in Vietnamese and English', () => {
    expect(Object.keys(en).sort()).toEqual(Object.keys(vi).sort());
  });

  it('have no empty message and the same placeholders in both languages', () => {
    for (const [key, text] of Object.entries(vi)) {
      const other = (en as Record<string, string>)[key] ?? '';
      expect(text.trim(), key).not.toBe('');
      expect(other.trim(), key).not.toBe('');
      expect(placeholders(other), key).toEqual(placeholders(text));
    }
  });

  it('write Vietnamese in NFC, with its diacritics', () => {
    for (const [key, text] of Object.entries(vi)) expect(text, key).toBe(text.normalize('NFC'));
    expect(Object.values(vi).join(' ')).toMatch(/[ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ]/);
  });
});
