/**
 * The deployment kit's udev rules (deploy/udev/) through our own lint (scripts/udev-lint.ts; Debian 12's
 * udevadm has no `verify`), and the lint itself on rules it must refuse.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lintUdevRules, parseUdevRule } from '../../../scripts/udev-lint.ts';
import { SIM_SLAP_SCANNER } from '../../../simulators/scanner/hid-scanner-sim.ts';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const RULES = path.join(ROOT, 'deploy/udev/70-cccd-station.rules');
const rulesText = readFileSync(RULES, 'utf8');
const hex4 = (n: number) => n.toString(16).padStart(4, '0');

describe('deploy/udev/70-cccd-station.rules', () => {
  it('passes the lint with the station group as the only group', () => {
    expect(lintUdevRules(rulesText, { groups: ['cccd-station'] })).toEqual([]);
  });

  it("gives our HID scanner's hidraw and USB nodes to the station group, by the ids the scanner reports", () => {
    const vendor = hex4(SIM_SLAP_SCANNER.vendorId);
    const product = hex4(SIM_SLAP_SCANNER.productId);
    const rules = rulesText
      .split('\n')
      .filter((line) => !line.startsWith('#') && line.trim() !== '')
      .map((line) => {
        const parsed = parseUdevRule(line);
        if (!parsed.ok) throw new Error(`${line}: ${parsed.message}`);
        return parsed.pairs;
      });
    const find = (subsystem: string) =>
      rules.find(
        (pairs) =>
          pairs.some((p) => p.key === 'SUBSYSTEM' && p.operator === '==' && p.value === subsystem) &&
          pairs.some((p) => p.attribute === 'idVendor' && p.value === vendor) &&
          pairs.some((p) => p.attribute === 'idProduct' && p.value === product),
      );
    for (const subsystem of ['hidraw', 'usb']) {
      const rule = find(subsystem);
      expect(rule, `a ${subsystem} rule for ${vendor}:${product}`).toBeDefined();
      expect(rule?.find((p) => p.key === 'GROUP')?.value).toBe('cccd-station');
      expect(rule?.find((p) => p.key === 'MODE')?.value).toBe('0660');
    }
  });

  it('covers the serial bridges, CDC ACM lines and cameras the unit lets the station open', () => {
    const pairs = rulesText
      .split('\n')
      .filter((line) => !line.startsWith('#') && line.trim() !== '')
      .flatMap((line) => {
        const parsed = parseUdevRule(line);
        return parsed.ok ? parsed.pairs : [];
      });
    const vendors = pairs.filter((p) => p.attribute === 'idVendor').map((p) => p.value);
    // CP210x, CH340/CH341, FTDI, Prolific.
    expect(vendors).toEqual(expect.arrayContaining(['10c4', '1a86', '0403', '067b']));
    const kernels = pairs.filter((p) => p.key === 'KERNEL').map((p) => p.value);
    expect(kernels).toEqual(expect.arrayContaining(['ttyUSB[0-9]*', 'ttyACM[0-9]*', 'video[0-9]*']));
  });
});

describe('the udev lint', () => {
  const bad: readonly (readonly [string, string, RegExp])[] = [
    [
      'an assignment to a match key',
      'SUBSYSTEM="usb", KERNEL=="x", MODE="0660"',
      /SUBSYSTEM can only be matched/,
    ],
    ['a match on an assign key', 'SUBSYSTEM=="usb", GROUP=="cccd-station"', /GROUP is assigned, not matched/],
    ['an unknown key', 'SUBSYSTEM=="usb", SUBSYTEM=="usb"', /unknown key SUBSYTEM/],
    ['a missing comma', 'SUBSYSTEM=="usb" MODE="0660"', /expected ',' between pairs/],
    ['a trailing comma', 'SUBSYSTEM=="usb", MODE="0660",', /trailing comma/],
    ['an unquoted value', 'SUBSYSTEM==usb, MODE="0660"', /must be in double quotes/],
    ['single quotes', 'SUBSYSTEM==\'usb\', MODE="0660"', /single quotes/],
    ['an unterminated quote', 'SUBSYSTEM=="usb, MODE="0660"', /no closing double quote|expected ','/],
    ['a bad operator', 'SUBSYSTEM=~"usb"', /expected an operator/],
    ['an attribute key without one', 'SUBSYSTEM=="usb", ATTRS=="x"', /needs an attribute/],
    ['an attribute where none goes', 'SUBSYSTEM{x}=="usb"', /takes no attribute/],
    ['no match at all', 'GROUP="cccd-station", MODE="0660"', /matches nothing/],
    [
      'permissions without a subsystem',
      'ATTRS{idVendor}=="1d6b", GROUP="cccd-station"',
      /must match SUBSYSTEM/,
    ],
    ['an upper-case USB id', 'SUBSYSTEM=="hidraw", ATTRS{idVendor}=="1D6B", MODE="0660"', /lowercase hex/],
    ['a short USB id', 'SUBSYSTEM=="hidraw", ATTRS{idProduct}=="f60", MODE="0660"', /four lowercase hex/],
    ['a world-writable mode', 'SUBSYSTEM=="hidraw", MODE="0666"', /every user/],
    ['a mode that is not octal', 'SUBSYSTEM=="hidraw", MODE="rw-rw----"', /not an octal mode/],
    ['another group', 'SUBSYSTEM=="hidraw", GROUP="plugdev", MODE="0660"', /not one of cccd-station/],
    ['a GOTO without its LABEL', 'SUBSYSTEM!="tty", GOTO="cccd_end"', /has no LABEL/],
    ['an empty attribute', 'SUBSYSTEM=="usb", ATTRS{}=="1"', /names no attribute/],
  ];

  it.each(bad)('refuses %s', (_name, rule, problem) => {
    const problems = lintUdevRules(`# a comment\n${rule}\n`, { groups: ['cccd-station'] });
    expect(problems.map((p) => p.message).join('\n')).toMatch(problem);
    expect(problems.every((p) => p.line === 2)).toBe(true);
  });

  it('reads continuation lines, alternatives, escapes and LABEL/GOTO flow as udev does', () => {
    const text = [
      'SUBSYSTEM!="tty", GOTO="cccd_end"',
      '# serial bridges',
      'KERNEL=="ttyUSB[0-9]*", ATTRS{idVendor}=="0403", \\',
      '  ATTRS{idProduct}=="6001|6015", GROUP="cccd-station", MODE="0660", ENV{ID_NOTE}="a \\"quoted\\" word"',
      'LABEL="cccd_end"',
      '',
    ].join('\n');
    expect(lintUdevRules(text, { groups: ['cccd-station'] })).toEqual([]);
    const parsed = parseUdevRule('ENV{ID_NOTE}="a \\"quoted\\" word", RUN+="/bin/true"');
    expect(parsed).toEqual({
      ok: true,
      pairs: [
        { key: 'ENV', attribute: 'ID_NOTE', operator: '=', value: 'a "quoted" word', column: 1 },
        { key: 'RUN', operator: '+=', value: '/bin/true', column: 35 },
      ],
    });
  });

  it('reports the line a continued rule starts on, and a file ending in a continuation', () => {
    const problems = lintUdevRules('SUBSYSTEM=="tty", \\\n  MODE="0666"\nSUBSYSTEM=="tty", \\\n');
    expect(problems.map((p) => [p.line, p.message])).toEqual([
      [1, expect.stringMatching(/every user/)],
      [3, expect.stringMatching(/ends with a line continuation/)],
    ]);
  });
});
