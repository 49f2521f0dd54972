/**
 * A card transport that plays a text transcript (STYLE.md, simulators):
 *
 *   => 00A4040C07A0000002471001      a command the reader must send, exactly
 *   <= 9000                          the card's answer
 *   # comments and blank lines are ignored; spaces inside hex are ignored
 *
 * A command that differs from the next expected one fails the exchange with both in hex; `done()`
 * asserts that the whole transcript was used.
 */
import { fromHex, toHex } from '../../protocol/bytes.ts';

interface Step {
  readonly command: Uint8Array;
  readonly response: Uint8Array;
  readonly line: number;
}

export class TranscriptTransport {
  readonly #steps: Step[];
  #next = 0;

  constructor(transcript: string) {
    const steps: Step[] = [];
    let pending: { command: Uint8Array; line: number } | undefined;
    transcript.split('\n').forEach((raw, index) => {
      const text = raw.replace(/#.*$/, '').trim();
      if (text === '') return;
      const line = index + 1;
      if (text.startsWith('=>')) {
        if (pending) throw new Error(`transcript line ${line}: two commands without an answer`);
        pending = { command: fromHex(text.slice(2)), line };
      } else if (text.startsWith('<=')) {
        if (!pending) throw new Error(`transcript line ${line}: an answer without a command`);
        steps.push({ command: pending.command, response: fromHex(text.slice(2)), line: pending.line });
        pending = undefined;
      } else {
        throw new Error(`transcript line ${line}: expected '=>' or '<=', got '${text}'`);
      }
    });
    if (pending) throw new Error(`transcript line ${pending.line}: the last command has no answer`);
    this.#steps = steps;
  }

  /** Commands exchanged so far. */
  get count(): number {
    return this.#next;
  }

  async transmit(command: Uint8Array): Promise<Uint8Array> {
    await Promise.resolve();
    const step = this.#steps[this.#next];
    if (!step) throw new Error(`transcript exhausted; the reader sent ${toHex(command)}`);
    if (toHex(step.command) !== toHex(command))
      throw new Error(
        `transcript line ${step.line}: expected => ${toHex(step.command)}\n                       got => ${toHex(command)}`,
      );
    this.#next++;
    return step.response.slice();
  }

  /** @throws {Error} when commands of the transcript were never sent. */
  done(): void {
    if (this.#next !== this.#steps.length)
      throw new Error(
        `transcript not used up: ${this.#steps.length - this.#next} exchanges left, next at line ${this.#steps[this.#next]?.line}`,
      );
  }
}
