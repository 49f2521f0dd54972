/**
 * Ajv's validation errors as problems a person can act on, shared by the configuration file and the
 * HTTP API so both name a bad key the same way and list the allowed values.
 */
import type { ErrorObject } from 'ajv';
import type { ConfigProblem } from './errors.ts';

/** JSON pointer segments are escaped per RFC 6901. */
export function pointer(base: string, key: string): string {
  return `${base}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

function show(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * One Ajv error (compiled with `verbose: true`, so the parent schema and the data are at hand) as a
 * problem a person can act on: the key as a JSON pointer under `base`, what is wrong, and the allowed
 * values or keys where there is a fixed set. Undefined for errors that only repeat another's (`if`).
 */
export function describeSchemaError(error: ErrorObject, base = ''): ConfigProblem | undefined {
  const parent: unknown = error.parentSchema;
  const parentSchema =
    typeof parent === 'object' && parent !== null ? (parent as Record<string, unknown>) : {};
  switch (error.keyword) {
    case 'additionalProperties': {
      const unknownKey = String((error.params as { additionalProperty: string }).additionalProperty);
      const props = parentSchema.properties;
      const allowed =
        typeof props === 'object' && props !== null ? Object.keys(props).filter((k) => k !== '$schema') : [];
      return {
        key: pointer(base + error.instancePath, unknownKey),
        message: `unknown key; allowed keys here: ${allowed.join(', ')}`,
        allowed,
      };
    }
    case 'enum': {
      const allowed = (error.params as { allowedValues: (string | number | boolean)[] }).allowedValues;
      return {
        key: base + error.instancePath,
        message: `must be one of: ${allowed.join(', ')} (got ${show(error.data)})`,
        allowed,
      };
    }
    case 'type':
      return {
        key: base + error.instancePath,
        message: `must be ${String((error.params as { type: string }).type)} (got ${show(error.data)})`,
      };
    case 'required': {
      const missing = String((error.params as { missingProperty: string }).missingProperty);
      return { key: pointer(base + error.instancePath, missing), message: 'is required here' };
    }
    case 'pattern':
    case 'minLength': {
      const description =
        typeof parentSchema.description === 'string' ? parentSchema.description : error.message;
      return { key: base + error.instancePath, message: `must be ${description} (got ${show(error.data)})` };
    }
    case 'minimum':
    case 'maximum':
      return {
        key: base + error.instancePath,
        message: `${error.message ?? 'out of range'} (got ${show(error.data)})`,
      };
    case 'if':
      // The `then` branch's own error (e.g. a missing url) says what is wrong.
      return undefined;
    case 'oneOf':
    case 'anyOf': {
      // Name the alternatives by the keys each needs, instead of every branch's own complaint.
      const branches = Array.isArray(error.schema) ? (error.schema as unknown[]) : [];
      const alternatives = branches.map((branch) => {
        const required = (branch as { required?: unknown }).required;
        return Array.isArray(required) ? required.join(' + ') : '';
      });
      if (alternatives.some((a) => a === '')) break;
      const passing = (error.params as { passingSchemas?: unknown }).passingSchemas;
      return {
        key: base + error.instancePath,
        message: `${Array.isArray(passing) ? 'gives more than one of' : 'needs one of'}: ${alternatives.join('; or ')}`,
      };
    }
    default:
      break;
  }
  return { key: base + error.instancePath, message: error.message ?? `fails ${error.keyword}` };
}

/**
 * Every Ajv error as problems, once each: the errors inside a oneOf/anyOf's branches are folded
 * into that keyword's one problem, which names the alternatives.
 */
export function describeSchemaErrors(errors: readonly ErrorObject[], base = ''): ConfigProblem[] {
  const folded = errors
    .filter((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf')
    .map((e) => `${e.schemaPath}/`);
  const problems: ConfigProblem[] = [];
  const seen = new Set<string>();
  for (const error of errors) {
    if (folded.some((prefix) => error.schemaPath.startsWith(prefix))) continue;
    const problem = describeSchemaError(error, base);
    if (problem === undefined) continue;
    const id = `${problem.key}\u0000${problem.message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    problems.push(problem);
  }
  return problems;
}
