/**
 * The control surface every simulator offers to testers (STYLE.md, simulators): named scenarios
 * switchable at run time, and actions (insert a card, place a finger, plug a device in).
 *
 * The station mounts each control under /sim/<name>/ (test environment only) and the CLI drives the
 * same routes, so a tester can script a running, unchanged station. Declared here, beside the ports
 * the simulators implement, so simulators depend on drivers/ and never on station/.
 */

/** A JSON Schema (draft 7) object describing an action's input; the station validates against it. */
export type JsonSchema = Readonly<Record<string, unknown>>;

export interface SimulatorAction {
  /** URL segment: lowercase letters, digits and '-'. */
  readonly name: string;
  readonly description: string;
  /** Input schema (the request body). Actions without input take `{ type: 'object' }`. */
  readonly input: JsonSchema;
  /**
   * Performs the action; resolves a JSON-serialisable result.
   * Rejects with SimulatorActionError for a request the simulator cannot honour in its state.
   */
  run(input: unknown): Promise<unknown>;
}

/**
 * When a scenario switch takes effect: at once ('now'), or with the next card put into a reader
 * ('next-insertion': a simulated card is made whole at insertion, so the card already in the reader
 * keeps behaving as it did).
 */
export type ScenarioTiming = 'now' | 'next-insertion';

export interface SimulatorControl {
  /** URL segment under /sim/: lowercase letters, digits and '-'. */
  readonly name: string;
  readonly description: string;
  /** Scenario names; the first is the default. */
  readonly scenarios: readonly string[];
  scenario(): string;
  /** @throws {RangeError} for a name not in `scenarios` (the station checks first). */
  setScenario(name: string): void;
  /** When `setScenario` takes effect. Absent: 'now'. */
  readonly scenarioTiming?: ScenarioTiming;
  /**
   * Makes a scenario that waits for the next insertion take effect at once (the card simulator
   * takes its card out of the reader and puts a fresh one in); resolves a JSON-serialisable result.
   * Absent on simulators whose scenarios always apply at once.
   * Rejects with SimulatorActionError when it cannot in the current state (no reader to use).
   */
  applyScenarioNow?(): Promise<unknown>;
  readonly actions: readonly SimulatorAction[];
  /** A JSON-serialisable summary of the simulator's state, for GET /sim/<name>. */
  snapshot(): unknown;
}

/** An action was refused in the simulator's current state (e.g. removing a card that is not there). */
export class SimulatorActionError extends Error {
  override readonly name = 'SimulatorActionError';
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

const SEGMENT = /^[a-z0-9][a-z0-9-]{0,39}$/;

/** @throws {TypeError} when a control's or action's name is not a valid URL segment, or is duplicated. */
export function assertValidControls(controls: readonly SimulatorControl[]): void {
  const seen = new Set<string>();
  for (const control of controls) {
    if (!SEGMENT.test(control.name))
      throw new TypeError(`simulator name ${JSON.stringify(control.name)} is not a URL segment`);
    if (seen.has(control.name)) throw new TypeError(`simulator name ${control.name} is registered twice`);
    seen.add(control.name);
    if (control.scenarios.length === 0) throw new TypeError(`simulator ${control.name} has no scenarios`);
    const actions = new Set<string>();
    for (const action of control.actions) {
      if (!SEGMENT.test(action.name) || actions.has(action.name)) {
        throw new TypeError(
          `simulator ${control.name} has an invalid or duplicate action ${JSON.stringify(action.name)}`,
        );
      }
      actions.add(action.name);
    }
  }
}
