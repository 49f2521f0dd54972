/**
 * Telex typing on the enrollment screen (station/ui/screens/enrollment/telex.ts): keys typed one by
 * one as the input event gives them, the field's text after each, NFC at the end.
 */
import { describe, expect, it } from 'vitest';
import { applyTelex, telexKey } from '../../../station/ui/screens/enrollment/telex.ts';

/** Types `keys` one at a time at the end of the field, as the browser's input events do. */
function type(keys: string): string {
  let value = '';
  for (const key of keys) {
    value += key;
    const changed = applyTelex(value, value.length, key);
    if (changed !== undefined) value = changed.value;
  }
  return value;
}

describe('Telex typing', () => {
  it.each([
    ['Nguyeenx Vawn An', 'Nguyễn Văn An'],
    ['Traanf Thij Hoa', 'Trần Thị Hoa'],
    ['Phamj Quoocs Dungx', 'Phạm Quốc Dũng'],
    ['Truwowngf', 'Trường'],
    ['nguwowif', 'người'],
    ['Ddoongf Nai', 'Đồng Nai'],
    ['Haf Nooij', 'Hà Nội'],
    ['Vieetj Nam', 'Việt Nam'],
    ['Khoong', 'Không'],
    ['Hoaf', 'Hòa'],
    ['Toans', 'Toán'],
    ['gias', 'giá'],
    ['khuyas', 'khuýa'],
    ['quoocs', 'quốc'],
    ['HOAF', 'HÒA'],
  ])('%s → %s', (keys, expected) => {
    const typed = type(keys);
    expect(typed).toBe(expected.normalize('NFC'));
    expect(typed).toBe(typed.normalize('NFC'));
  });

  it('undoes a tone or a hat typed twice, and leaves other text alone', () => {
    expect(type('ass')).toBe('as');
    expect(type('aaa')).toBe('aa');
    expect(type('Kinh 12')).toBe('Kinh 12');
    expect(telexKey('b', 's')).toBeUndefined();
    expect(type('w')).toBe('ư');
  });

  it('changes only the word before the caret, keeping the text after it', () => {
    const value = 'Nguyênx Van';
    const changed = applyTelex(value, 7, 'x');
    expect(changed).toEqual({ value: 'Nguyễn Van', caret: 6 });
    // A key that is not the one just typed before the caret (pasted text) changes nothing.
    expect(applyTelex('Nguyen', 6, 'x')).toBeUndefined();
  });
});
