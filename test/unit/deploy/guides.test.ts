/**
 * The operator's guides (deploy/GUIDE.vi.md, deploy/GUIDE.en.md): Vietnamese in NFC with its
 * diacritics, the same sections and commands in both languages, and every `cccd-station` command they
 * give exists in the CLI with the options they use.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../support/deploy.ts';

const vi = readFileSync(path.join(ROOT, 'deploy/GUIDE.vi.md'), 'utf8');
const en = readFileSync(path.join(ROOT, 'deploy/GUIDE.en.md'), 'utf8');

/** The `cccd-station ...` commands of a guide, comments cut, one per line. */
function commands(text: string): string[] {
  const found = new Set<string>();
  for (const match of text.matchAll(/(?:^|`)(cccd-station (?:[a-z]+)(?: [^`#\n]*)?)/gm)) {
    const command = match[1]?.trim();
    if (command !== undefined && !/^cccd-station (for|the)\b/.test(command)) found.add(command);
  }
  return [...found].sort();
}

describe('the operator guides', () => {
  it('are NFC, and the Vietnamese one is Vietnamese', () => {
    expect(vi).toBe(vi.normalize('NFC'));
    expect(en).toBe(en.normalize('NFC'));
    // A sample of letters only Vietnamese text has: tone marks on top of other diacritics.
    for (const word of ['Hướng dẫn', 'cài đặt', 'khôi phục', 'sao lưu', 'nhật ký kiểm toán', 'chứng thư'])
      expect(vi).toContain(word);
  });

  it('have the same sections, tables and code in both languages', () => {
    const headings = (text: string) => text.split('\n').filter((l) => l.startsWith('## ')).length;
    expect(headings(vi)).toBe(10);
    expect(headings(en)).toBe(headings(vi));
    const codeLines = (text: string) =>
      [...text.matchAll(/```sh\n([\s\S]*?)```/g)]
        .flatMap((m) => (m[1] ?? '').split('\n'))
        .map((line) => line.replace(/#.*$/, '').trim())
        .filter((line) => line !== '' && !line.startsWith('cd '));
    expect(codeLines(vi)).toEqual(codeLines(en));
    expect(commands(vi)).toEqual(commands(en));
  });

  it('explain the audit rollback and what not to do about it, in both languages', () => {
    for (const text of [vi, en]) {
      expect(text).toContain('AUDIT_BEHIND_ANCHOR');
      expect(text).toContain('anchor.json');
      expect(text).toContain('verified.json');
      expect(text).toContain('cccd-station audit verify');
    }
  });

  it('give only cccd-station commands and options that exist', () => {
    const given = commands(en);
    expect(given.length).toBeGreaterThanOrEqual(8);
    for (const command of given) {
      // `cccd-station users add admin-01 --name ...`: the command and subcommand are the first two words.
      const name = command
        .split(/\s+/)
        .slice(1, 3)
        .filter((word) => /^[a-z][a-z-]*$/.test(word));
      const cli = spawnSync(
        path.join(ROOT, 'scripts/with-runtime'),
        ['node', path.join(ROOT, 'station/cli/bin.mjs'), ...name, '--help'],
        { encoding: 'utf8', timeout: 60_000 },
      );
      expect([command, cli.status]).toEqual([command, 0]);
      for (const option of command.match(/--[a-z-]+/g) ?? [])
        expect([command, cli.stdout.includes(option)]).toEqual([command, true]);
    }
  }, 120_000);
});
