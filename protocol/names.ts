/**
 * Reverse lookup in the protocol's constant tables (`{ NAME: code }`): the name of a code read off
 * the wire. Every table in protocol/ maps distinct names to distinct codes.
 */

/** The key of `table` whose value is `value`, or undefined when no entry has it. Never throws. */
export function nameOf<T extends Readonly<Record<string, number>>>(
  table: T,
  value: number | undefined,
): keyof T | undefined {
  for (const key of Object.keys(table)) if (table[key] === value) return key as keyof T;
  return undefined;
}
