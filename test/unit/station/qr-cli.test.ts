import { describe, expect, it } from 'vitest';
import { makeQrCommand } from '../../../station/cli/commands/qr.ts';
import { main } from '../../../station/cli/main.ts';
import { recordingIo } from '../../support/cli.ts';

const SAMPLE =
  '001099012345|012345678|Nguyễn Văn An|01011999|Nam|Số 1 Tràng Tiền, Hoàn Kiếm, Hà Nội|01012024';

async function qr(...args: string[]) {
  const io = recordingIo();
  const code = await main(['qr', ...args], io);
  return { code, out: io.out, err: io.err };
}

describe('station qr parse', () => {
  it('prints the fields, the personal-ID check and the expiry of a good QR text, exit 0', async () => {
    const { code, out, err } = await qr('parse', SAMPLE, '--today', '2025-06-01');
    expect(err).toBe('');
    expect(code).toBe(0);
    const answer = JSON.parse(out);
    expect(answer).toMatchObject({
      today: '2025-06-01',
      ok: true,
      layout: 'seven-parts',
      fields: {
        id: '001099012345',
        oldId: '012345678',
        fullName: 'Nguyễn Văn An',
        dateOfBirth: '1999-01-01',
        sex: 'M',
        dateOfIssue: '2024-01-01',
      },
      errors: [],
      personalId: { ok: true, province: { code: '001', name: 'Hà Nội' }, birthYear: 1999, sex: 'M' },
      // Born 1999-01-01, issued on the 25th birthday: valid to the 40th.
      expiry: { kind: 'date', date: '2039-01-01', yymmdd: '390101', renewalAge: 40 },
      validity: { kind: 'in-date', valid: true, dateOfExpiry: '2039-01-01', today: '2025-06-01', from: 'qr' },
    });
  });

  it('reports the expiry against --today as card read does: expired, in date through the last day', async () => {
    // Born 1999-01-01, issued 2016-03-01 at 17: the card ran to the 25th birthday, 2024-01-01.
    const old = '001099012345||Nguyễn Văn An|01011999|Nam|Hà Nội|01032016';
    const expired = JSON.parse((await qr('parse', old, '--today', '2024-01-02')).out);
    expect(expired.validity).toMatchObject({
      kind: 'expired',
      valid: false,
      dateOfExpiry: '2024-01-01',
      today: '2024-01-02',
      from: 'qr',
      message: { vi: expect.stringMatching(/hết hạn/), en: expect.stringMatching(/expired/) },
    });
    const lastDay = JSON.parse((await qr('parse', old, '--today', '2024-01-01')).out);
    expect(lastDay.validity).toMatchObject({ kind: 'in-date', valid: true });
  });

  it('prints every per-field error and exits 1 for a QR text with problems', async () => {
    const text = '001099012345||Nguyễn Văn An|01011998|Nữ|Hà Nội|31121997\n';
    const { code, out, err } = await qr('parse', text, '--today', '2025-06-01');
    expect(code).toBe(1);
    const answer = JSON.parse(out);
    expect(answer.ok).toBe(false);
    expect(answer.errors.map((e: { field: string; code: string }) => `${e.field}:${e.code}`)).toEqual([
      'dateOfIssue:issue-before-birth',
      'id:sex-mismatch',
      'id:birth-year-mismatch',
    ]);
    expect(answer.errors[0].message.vi).toMatch(/Ngày cấp/);
    expect(answer.expiry).toMatchObject({ kind: 'unknown', reason: 'issued-before-birth' });
    expect(answer.validity).toMatchObject({ kind: 'unknown', valid: null, dateOfExpiry: null });
    expect(err).toMatch(/3 problem/);
  });

  it('says "no expiry" for a card issued from 58, and checks dates against --today', async () => {
    const older = '001065012345||Trần Văn Cường|01041965|Nam|Hà Nội|02042023';
    const { code, out } = await qr('parse', older, '--today', '2025-06-01');
    expect(code).toBe(0);
    expect(JSON.parse(out).expiry).toMatchObject({ kind: 'no-expiry' });
    expect(JSON.parse(out).validity).toMatchObject({ kind: 'no-expiry', valid: true, dateOfExpiry: null });
    const early = await qr('parse', older, '--today', '2023-04-01');
    expect(early.code).toBe(1);
    expect(JSON.parse(early.out).errors.map((e: { code: string }) => e.code)).toEqual(['issue-in-future']);
  });

  it('defaults --today to the clock it is given', async () => {
    const command = makeQrCommand(() => new Date(2023, 3, 1, 12, 0, 0));
    const io = recordingIo();
    const parse = command.subcommands?.[0];
    expect(parse?.name).toBe('parse');
    const code = await parse?.run?.(['001065012345||Trần Văn Cường|01041965|Nam|Hà Nội|02042023'], io);
    expect(code).toBe(1);
    const answer = JSON.parse(io.out);
    expect(answer.today).toBe('2023-04-01');
    expect(answer.errors.map((e: { code: string }) => e.code)).toEqual(['issue-in-future']);
  });

  it('refuses a bad --today and a missing text with usage (exit 2)', async () => {
    const bad = await qr('parse', SAMPLE, '--today', '01/06/2025');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--today must be a calendar date/);
    expect((await qr('parse')).code).toBe(2);
    const help = await qr('parse', '--help');
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/Usage: station qr parse/);
  });
});
