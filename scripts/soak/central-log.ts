/**
 * Reads central's raw log of accepted packets (`<central data>/log/accepted.jsonl`, one JSON line
 * per accepted packet, fsynced before central answers; simulators/central/store.ts) and counts what
 * the soak promises: lost = an enrollment the station confirmed with no production order,
 * duplicated = an enrollment with more than one line (a second production order or a held one).
 */

export interface AcceptedLine {
  readonly at: string;
  readonly packetId: string;
  readonly enrollmentSessionId: string;
  readonly sha256: string;
  readonly stationId: string;
  readonly order: 'production' | 'held-duplicate-session';
}

export interface ParsedLog {
  readonly lines: readonly AcceptedLine[];
  /** Lines that are not a complete log record (a torn last line after central was killed), with their 1-based number. */
  readonly unreadable: readonly { line: number; text: string }[];
}

/** What the station confirmed for one enrollment (its enroll answered 200). */
export interface Confirmed {
  readonly packetId: string;
  readonly sha256: string;
}

export interface SoakVerdict {
  /** Confirmed nonces (enrollment session ids) with no production order. */
  readonly lost: readonly string[];
  /** Nonces with more than one accepted line. */
  readonly duplicated: readonly string[];
  /** Confirmed nonces whose line names another packet id or digest than the station confirmed. */
  readonly mismatched: readonly { nonce: string; confirmed: Confirmed; logged: AcceptedLine }[];
  /** Nonces the harness never sent (should be none: central holds only this run's packets). */
  readonly unknown: readonly string[];
}

const ORDERS = new Set(['production', 'held-duplicate-session']);

function isLine(value: unknown): value is AcceptedLine {
  if (typeof value !== 'object' || value === null) return false;
  const line = value as Record<string, unknown>;
  return (
    typeof line.packetId === 'string' &&
    typeof line.enrollmentSessionId === 'string' &&
    typeof line.sha256 === 'string' &&
    typeof line.order === 'string' &&
    ORDERS.has(line.order)
  );
}

/** Parses the log text; a line that is not a whole record is listed, never guessed at. */
export function parseAcceptedLog(text: string): ParsedLog {
  const lines: AcceptedLine[] = [];
  const unreadable: { line: number; text: string }[] = [];
  text.split('\n').forEach((raw, i) => {
    if (raw.trim() === '') return;
    try {
      const value: unknown = JSON.parse(raw);
      if (isLine(value)) {
        lines.push(value);
        return;
      }
    } catch {
      // listed below
    }
    unreadable.push({ line: i + 1, text: raw.slice(0, 200) });
  });
  return { lines, unreadable };
}

/**
 * Lost, duplicated and mismatched enrollments.
 * @param confirmed nonce -> what the station's enroll answer said.
 * @param submitted every nonce the harness sent (confirmed or not).
 */
export function judgeLog(
  lines: readonly AcceptedLine[],
  confirmed: ReadonlyMap<string, Confirmed>,
  submitted: ReadonlySet<string>,
): SoakVerdict {
  const byNonce = new Map<string, AcceptedLine[]>();
  for (const line of lines) {
    const list = byNonce.get(line.enrollmentSessionId) ?? [];
    list.push(line);
    byNonce.set(line.enrollmentSessionId, list);
  }
  const lost: string[] = [];
  const mismatched: { nonce: string; confirmed: Confirmed; logged: AcceptedLine }[] = [];
  for (const [nonce, want] of confirmed) {
    const produced = (byNonce.get(nonce) ?? []).filter((line) => line.order === 'production');
    const first = produced[0];
    if (first === undefined) {
      lost.push(nonce);
      continue;
    }
    if (first.packetId !== want.packetId || first.sha256 !== want.sha256)
      mismatched.push({ nonce, confirmed: want, logged: first });
  }
  const duplicated = [...byNonce].filter(([, list]) => list.length > 1).map(([nonce]) => nonce);
  const unknown = [...byNonce.keys()].filter((nonce) => !submitted.has(nonce));
  return { lost, duplicated, mismatched, unknown };
}
