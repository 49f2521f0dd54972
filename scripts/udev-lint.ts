/**
 * A lint for udev rules files (udev(7)), since Debian 12's udevadm has no `verify` (systemd 253+).
 * It parses each rule into KEY{attribute} operator "value" pairs and checks them against udev's
 * keys and operators, then against the station's own policy for device rules.
 *
 *   node --import tsx scripts/udev-lint.ts deploy/udev/*.rules     one line per problem; exit 1 if any
 *
 * Grammar (udev(7), "RULES FILES"): one rule per line, a trailing backslash joins the next line;
 * `#` starts a comment line; a rule is pairs separated by commas, each `KEY`, `KEY{attr}`, an operator
 * (`==` `!=` match; `=` `+=` `-=` `:=` assign) and a double-quoted value (`\"` inside).
 *
 * The station's policy on top of the grammar: a rule that assigns must match on something (else it
 * applies to every device), and one that hands out a device (OWNER, GROUP, MODE) must say which
 * subsystem or kernel name; MODE is octal and gives nothing to other users; USB ids are four
 * lowercase hex digits (sysfs writes them so, and the comparison is a string one); GROUP is one of
 * the allowed groups when a list is given; every GOTO has its LABEL.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type UdevOperator = '==' | '!=' | '=' | '+=' | '-=' | ':=';

export interface UdevPair {
  readonly key: string;
  /** The `{...}` part, when present. */
  readonly attribute?: string;
  readonly operator: UdevOperator;
  readonly value: string;
  /** 1-based column of the key in the (joined) rule text. */
  readonly column: number;
}

export interface UdevRule {
  /** 1-based line where the rule starts. */
  readonly line: number;
  readonly pairs: readonly UdevPair[];
}

export interface UdevProblem {
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

export interface UdevLintOptions {
  /** Groups a rule may assign (GROUP=); any well-formed name when absent. */
  readonly groups?: readonly string[];
}

const MATCH: readonly UdevOperator[] = ['==', '!='];

/** How each key may be written: its operators and whether it takes `{attribute}`. */
interface KeySpec {
  readonly operators: readonly UdevOperator[];
  readonly attribute: 'required' | 'optional' | 'none';
}

const spec = (operators: readonly UdevOperator[], attribute: KeySpec['attribute'] = 'none'): KeySpec => ({
  operators,
  attribute,
});

/** udev(7) of systemd 252, the keys a rule may use. */
export const UDEV_KEYS: Readonly<Record<string, KeySpec>> = {
  ACTION: spec(MATCH),
  DEVPATH: spec(MATCH),
  KERNEL: spec(MATCH),
  KERNELS: spec(MATCH),
  SUBSYSTEM: spec(MATCH),
  SUBSYSTEMS: spec(MATCH),
  DRIVER: spec(MATCH),
  DRIVERS: spec(MATCH),
  ATTRS: spec(MATCH, 'required'),
  TAGS: spec(MATCH),
  TEST: spec(MATCH, 'optional'),
  PROGRAM: spec(MATCH),
  RESULT: spec(MATCH),
  CONST: spec(MATCH, 'required'),
  NAME: spec(['==', '!=', '=', ':=']),
  SYMLINK: spec(['==', '!=', '=', '+=', '-=', ':=']),
  TAG: spec(['==', '!=', '=', '+=', '-=']),
  ATTR: spec(['==', '!=', '=', ':='], 'required'),
  SYSCTL: spec(['==', '!=', '=', ':='], 'required'),
  ENV: spec(['==', '!=', '=', '+=', ':='], 'required'),
  OWNER: spec(['=', ':=']),
  GROUP: spec(['=', ':=']),
  MODE: spec(['=', ':=']),
  SECLABEL: spec(['=', '+=', ':='], 'required'),
  RUN: spec(['=', '+=', '-=', ':='], 'optional'),
  LABEL: spec(['=']),
  GOTO: spec(['=']),
  IMPORT: spec(['=', '==', '!='], 'required'),
  OPTIONS: spec(['=', '+=', ':=']),
};

/** Keys whose pair is an action, not a condition (with `=`-family operators). */
const ASSIGN_OPERATORS: readonly UdevOperator[] = ['=', '+=', '-=', ':='];
/** Keys that only steer the walk through the file; a LABEL or GOTO rule needs no match. */
const FLOW_KEYS = new Set(['LABEL', 'GOTO']);
/** Keys that hand a device node to someone. */
const PERMISSION_KEYS = new Set(['OWNER', 'GROUP', 'MODE']);
const OPERATORS: readonly UdevOperator[] = ['==', '!=', '+=', '-=', ':=', '='];

export type ParsedLine = { ok: true; pairs: UdevPair[] } | { ok: false; column: number; message: string };

/**
 * Parses one rule's text (continuations already joined) into its pairs.
 * Returns the first syntax error with its 1-based column.
 */
export function parseUdevRule(text: string): ParsedLine {
  const pairs: UdevPair[] = [];
  let i = 0;
  const skipSpace = () => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t')) i++;
  };
  const fail = (message: string, at = i): ParsedLine => ({ ok: false, column: at + 1, message });
  for (;;) {
    skipSpace();
    const start = i;
    while (i < text.length && /[A-Za-z_]/.test(text[i] ?? '')) i++;
    const key = text.slice(start, i);
    if (key === '')
      return fail(
        i >= text.length && pairs.length > 0 ? 'a comma ends the rule (trailing comma)' : 'expected a key',
      );
    let attribute: string | undefined;
    if (text[i] === '{') {
      const close = text.indexOf('}', i);
      if (close < 0) return fail(`'{' after ${key} is not closed`);
      attribute = text.slice(i + 1, close);
      if (attribute === '') return fail(`${key}{} names no attribute`);
      i = close + 1;
    }
    skipSpace();
    const token = /^[=!+\-:~<>]+/.exec(text.slice(i))?.[0] ?? '';
    const operator = OPERATORS.find((op) => op === token);
    if (operator === undefined)
      return fail(
        `expected an operator (== != = += -= :=) after ${key}${token === '' ? '' : `, found '${token}'`}`,
      );
    i += operator.length;
    skipSpace();
    if (text[i] !== '"')
      return fail(
        text[i] === "'"
          ? `the value of ${key} is in single quotes; udev takes double quotes only`
          : `the value of ${key} must be in double quotes`,
      );
    i++;
    let value = '';
    let closed = false;
    while (i < text.length) {
      const c = text[i];
      if (c === '\\' && (text[i + 1] === '"' || text[i + 1] === '\\')) {
        value += text[i + 1];
        i += 2;
        continue;
      }
      if (c === '"') {
        closed = true;
        i++;
        break;
      }
      value += c;
      i++;
    }
    if (!closed) return fail(`the value of ${key} has no closing double quote`, start);
    pairs.push({
      key,
      ...(attribute === undefined ? {} : { attribute }),
      operator,
      value,
      column: start + 1,
    });
    skipSpace();
    if (i >= text.length) return { ok: true, pairs };
    if (text[i] !== ',') return fail(`expected ',' between pairs, found '${text[i]}'`);
    i++;
  }
}

/** The rules of a file: comments and blank lines dropped, continuation lines joined. */
export function splitUdevRules(text: string): {
  rules: { line: number; text: string }[];
  problems: UdevProblem[];
} {
  const rules: { line: number; text: string }[] = [];
  const problems: UdevProblem[] = [];
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  let pending: { line: number; text: string } | undefined;
  lines.forEach((raw, index) => {
    const line = index + 1;
    if (raw.endsWith('\r')) problems.push({ line, column: raw.length, message: 'CRLF line ending' });
    const content = raw.replace(/\r$/, '');
    if (pending === undefined && /^\s*(#|$)/.test(content)) return;
    const continued = content.endsWith('\\');
    const body = continued ? content.slice(0, -1) : content;
    if (pending === undefined) pending = { line, text: body };
    else pending.text += body;
    if (!continued) {
      rules.push(pending);
      pending = undefined;
    }
  });
  if (pending !== undefined)
    problems.push({ line: pending.line, column: 1, message: 'the last rule ends with a line continuation' });
  return { rules, problems };
}

const USB_ID_ATTRIBUTES = new Set(['idVendor', 'idProduct']);
const GROUP_NAME = /^[a-z_][a-z0-9_-]{0,31}$/;

/** The policy checks of one parsed rule. */
function checkRule(rule: UdevRule, options: UdevLintOptions): UdevProblem[] {
  const problems: UdevProblem[] = [];
  const at = (pair: UdevPair, message: string) =>
    problems.push({ line: rule.line, column: pair.column, message });
  for (const pair of rule.pairs) {
    const keySpec = UDEV_KEYS[pair.key];
    if (keySpec === undefined) {
      at(pair, `unknown key ${pair.key}`);
      continue;
    }
    if (!keySpec.operators.includes(pair.operator))
      at(
        pair,
        MATCH.includes(pair.operator)
          ? `${pair.key} is assigned, not matched: use ${keySpec.operators.join(' or ')}, not ${pair.operator}`
          : `${pair.key} can only be matched (${keySpec.operators.join(' or ')}), not assigned with ${pair.operator}`,
      );
    if (keySpec.attribute === 'required' && pair.attribute === undefined)
      at(pair, `${pair.key} needs an attribute: ${pair.key}{name}`);
    if (keySpec.attribute === 'none' && pair.attribute !== undefined)
      at(pair, `${pair.key} takes no attribute ({${pair.attribute}})`);
    if ((pair.key === 'ATTR' || pair.key === 'ATTRS') && USB_ID_ATTRIBUTES.has(pair.attribute ?? ''))
      for (const alternative of pair.value.split('|'))
        if (!/^[0-9a-f]{4}$/.test(alternative))
          at(
            pair,
            `${pair.key}{${pair.attribute}} "${alternative}" is not four lowercase hex digits: sysfs writes USB ids so, and udev compares strings`,
          );
    if (pair.key === 'MODE' && ASSIGN_OPERATORS.includes(pair.operator)) {
      if (!/^0?[0-7]{3}$/.test(pair.value)) at(pair, `MODE "${pair.value}" is not an octal mode like "0660"`);
      else if (Number.parseInt(pair.value.slice(-1), 8) !== 0)
        at(
          pair,
          `MODE "${pair.value}" gives the device to every user; a station device is "0660" for its group`,
        );
    }
    if (pair.key === 'GROUP' && ASSIGN_OPERATORS.includes(pair.operator)) {
      if (!GROUP_NAME.test(pair.value)) at(pair, `GROUP "${pair.value}" is not a group name`);
      else if (options.groups !== undefined && !options.groups.includes(pair.value))
        at(pair, `GROUP "${pair.value}" is not one of ${options.groups.join(', ')}`);
    }
    if ((pair.key === 'LABEL' || pair.key === 'GOTO') && pair.value === '') at(pair, `${pair.key} is empty`);
  }
  const known = rule.pairs.filter((pair) => UDEV_KEYS[pair.key] !== undefined);
  const matches = known.filter((pair) => MATCH.includes(pair.operator) || pair.key === 'IMPORT');
  const onlyFlow = known.length > 0 && known.every((pair) => FLOW_KEYS.has(pair.key));
  const first = rule.pairs[0];
  if (first !== undefined && matches.length === 0 && !onlyFlow)
    problems.push({
      line: rule.line,
      column: first.column,
      message: 'the rule matches nothing, so it applies to every device: add a match (SUBSYSTEM=="...")',
    });
  const grants = known.find((pair) => PERMISSION_KEYS.has(pair.key));
  if (
    grants !== undefined &&
    !matches.some((pair) => (pair.key === 'SUBSYSTEM' || pair.key === 'KERNEL') && pair.operator === '==')
  )
    at(
      grants,
      `a rule that sets ${grants.key} must match SUBSYSTEM=="..." or KERNEL=="..." for the device node`,
    );
  return problems;
}

/**
 * Lints a rules file's text.
 * @returns every problem found, in line order; empty when the file is clean.
 */
export function lintUdevRules(text: string, options: UdevLintOptions = {}): UdevProblem[] {
  const { rules, problems } = splitUdevRules(text);
  const labels = new Set<string>();
  const gotos: { pair: UdevPair; line: number }[] = [];
  for (const { line, text: ruleText } of rules) {
    const parsed = parseUdevRule(ruleText);
    if (!parsed.ok) {
      problems.push({ line, column: parsed.column, message: parsed.message });
      continue;
    }
    const rule: UdevRule = { line, pairs: parsed.pairs };
    problems.push(...checkRule(rule, options));
    for (const pair of parsed.pairs) {
      if (pair.key === 'LABEL') labels.add(pair.value);
      if (pair.key === 'GOTO') gotos.push({ pair, line });
    }
  }
  for (const { pair, line } of gotos)
    if (!labels.has(pair.value))
      problems.push({
        line,
        column: pair.column,
        message: `GOTO "${pair.value}" has no LABEL "${pair.value}"`,
      });
  return problems.sort((a, b) => a.line - b.line || a.column - b.column);
}

function main(files: readonly string[]): number {
  if (files.length === 0) {
    process.stderr.write('Usage: node --import tsx scripts/udev-lint.ts FILE.rules ...\n');
    return 2;
  }
  let count = 0;
  for (const file of files) {
    for (const p of lintUdevRules(readFileSync(file, 'utf8'))) {
      process.stdout.write(`${file}:${p.line}:${p.column}: ${p.message}\n`);
      count++;
    }
  }
  process.stderr.write(`${count === 0 ? 'clean' : `${count} problem(s)`} in ${files.length} file(s)\n`);
  return count === 0 ? 0 : 1;
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url))
  process.exitCode = main(process.argv.slice(2));
