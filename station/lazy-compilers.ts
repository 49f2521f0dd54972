/**
 * Route schemas compiled on first use instead of at start. Fastify compiles every route's
 * validator (ajv) and response serializer (fast-json-stringify) while the app gets ready: about a
 * quarter of a second of the station's start on this two-core machine, for some routes a tester or
 * an officer may never call. Here each route gets a thin function that compiles its schema on its
 * first request (a few milliseconds, once) and is the compiled one from then on. The compilers and
 * their options are fastify's own defaults (with the station's ajv options), so what is accepted,
 * refused and written is the same; a schema that cannot compile fails its first request with
 * fastify's usual 500 instead of the start (the route tests exercise every schema).
 */
import ajvCompiler from '@fastify/ajv-compiler';
import serializerCompiler from '@fastify/fast-json-stringify-compiler';
import type { FastifyServerOptions } from 'fastify';

type Compilers = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;
type BuildValidator = NonNullable<Compilers['buildValidator']>;
type BuildSerializer = NonNullable<Compilers['buildSerializer']>;

const buildAjvValidator = ajvCompiler() as unknown as BuildValidator;
const buildJsonSerializer = serializerCompiler() as unknown as BuildSerializer;

type Validate = ((data: unknown) => unknown) & { errors?: unknown };

/** Fastify's validator compiler, each route's validator compiled at its first request. */
export const lazyValidatorFactory: BuildValidator = (externalSchemas, options) => {
  const compile = buildAjvValidator(externalSchemas, options) as unknown as (route: unknown) => Validate;
  return ((route: unknown) => {
    let compiled: Validate | undefined;
    const validate = (data: unknown) => {
      compiled ??= compile(route);
      return compiled(data);
    };
    // Fastify reads a failed validation's errors off the validator function (ajv's convention).
    Object.defineProperty(validate, 'errors', { get: () => compiled?.errors, enumerable: true });
    return validate;
  }) as unknown as ReturnType<BuildValidator>;
};

/** Fastify's serializer compiler, each response schema compiled at its first use. */
export const lazySerializerFactory: BuildSerializer = (externalSchemas, options) => {
  const compile = buildJsonSerializer(externalSchemas, options) as unknown as (
    route: unknown,
  ) => (doc: unknown) => string;
  return ((route: unknown) => {
    let compiled: ((doc: unknown) => string) | undefined;
    return (doc: unknown) => {
      compiled ??= compile(route);
      return compiled(doc);
    };
  }) as unknown as ReturnType<BuildSerializer>;
};
