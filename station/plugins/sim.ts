/**
 * The /sim/ convention: every simulator's control surface, mounted only in the test environment.
 *
 *   GET  /sim/                         the simulators, their scenarios and actions
 *   GET  /sim/:name                    one simulator, with a snapshot of its state
 *   PUT  /sim/:name/scenario           { "scenario": "dry-finger", "applyNow"?: true } switches the
 *                                      scenario; answers { name, scenario, appliesFrom: 'now' |
 *                                      'next-insertion' }. A card scenario applies to the next card put
 *                                      in; "applyNow": true puts a fresh card of it in at once.
 *   POST /sim/:name/actions/:action    runs an action; the body is validated by the action's schema;
 *                                      an action that needs no input takes no body at all
 *
 * The station refuses to build with these routes in production (app.ts), so /sim/ answers 404 there.
 */
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import {
  assertValidControls,
  SimulatorActionError,
  type SimulatorControl,
} from '../../drivers/sim-control.ts';
import { NO_QUERY, openObject, responses } from '../api-schema.ts';

const SIMULATOR = openObject(
  'a simulator: name, description, scenario, scenarios, scenario timing, actions',
  {
    name: { type: 'string' },
    scenario: { type: 'string' },
    scenarios: { type: 'array', items: { type: 'string' } },
  },
);

/** The schema parts of a /sim/ route: its tag, summary, no query, and its answers. */
function doc(summary: string, ok: Record<string, unknown>) {
  return { tags: ['sim'], summary, querystring: NO_QUERY, response: responses(ok) };
}

function describeControl(control: SimulatorControl) {
  return {
    name: control.name,
    description: control.description,
    scenario: control.scenario(),
    scenarios: [...control.scenarios],
    scenarioTiming: control.scenarioTiming ?? 'now',
    actions: control.actions.map((a) => ({ name: a.name, description: a.description, input: a.input })),
  };
}

export function simulatorRoutes(controls: readonly SimulatorControl[]): FastifyPluginAsync {
  assertValidControls(controls);
  return async (app: FastifyInstance) => {
    app.get(
      '/',
      {
        schema: doc('The simulators, their scenarios and actions', {
          200: {
            type: 'object',
            additionalProperties: false,
            required: ['simulators'],
            properties: { simulators: { type: 'array', items: SIMULATOR } },
          },
        }),
      },
      async () => ({ simulators: controls.map(describeControl) }),
    );

    for (const control of controls) {
      app.get(
        `/${control.name}`,
        { schema: doc(`The ${control.name} simulator with a snapshot of its state`, { 200: SIMULATOR }) },
        async () => ({ ...describeControl(control), state: control.snapshot() }),
      );

      app.put(
        `/${control.name}/scenario`,
        {
          schema: {
            ...doc(`Switch the ${control.name} simulator's scenario`, {
              200: openObject('the scenario now set and when it applies (now, next-insertion)', {
                name: { type: 'string' },
                scenario: { type: 'string' },
                appliesFrom: { type: 'string', enum: ['now', 'next-insertion'] },
              }),
            }),
            body: {
              type: 'object',
              additionalProperties: false,
              required: ['scenario'],
              properties: {
                scenario: { type: 'string', enum: [...control.scenarios] },
                applyNow: { type: 'boolean' },
              },
            },
          },
        },
        async (request, reply) => {
          const { scenario, applyNow } = request.body as { scenario: string; applyNow?: boolean };
          control.setScenario(scenario);
          request.log.info({ simulator: control.name, scenario }, 'simulator scenario switched');
          const timing = control.scenarioTiming ?? 'now';
          if (applyNow !== true || timing === 'now' || control.applyScenarioNow === undefined)
            return { name: control.name, scenario: control.scenario(), appliesFrom: timing };
          try {
            const applied = await control.applyScenarioNow();
            return { name: control.name, scenario: control.scenario(), appliesFrom: 'now', applied };
          } catch (error) {
            if (error instanceof SimulatorActionError)
              return reply.code(409).send({ error: { code: error.code, message: error.message } });
            throw error;
          }
        },
      );

      for (const action of control.actions) {
        app.post(
          `/${control.name}/actions/${action.name}`,
          {
            schema: {
              ...doc(`${control.name}: ${action.description}`, {
                200: openObject("the action's result", {
                  name: { type: 'string' },
                  action: { type: 'string' },
                }),
              }),
              body: action.input,
            },
            // No body (and no content-type) is an empty input: `curl -XPOST .../actions/remove`.
            preValidation: async (request) => {
              if (request.body === undefined || request.body === null) request.body = {};
            },
          },
          async (request, reply) => {
            try {
              const result = await action.run(request.body ?? {});
              request.log.info({ simulator: control.name, action: action.name }, 'simulator action');
              return { name: control.name, action: action.name, result };
            } catch (error) {
              if (error instanceof SimulatorActionError) {
                return reply.code(409).send({ error: { code: error.code, message: error.message } });
              }
              throw error;
            }
          },
        );
      }
    }
  };
}
