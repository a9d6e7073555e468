import { ErrorBodySchema } from "@darklaunch/core";
import { z } from "zod";

/**
 * The OpenAPI document is generated from the same zod schemas the handlers validate with and
 * clients type their calls with (`@darklaunch/core`'s protocol module). Request and response
 * bodies become named components (`#/components/schemas/FlagRecord`); query strings and path
 * parameters are inlined, as OpenAPI lists them one by one.
 */

type Registry = z.core.$ZodRegistry<{ id: string }>;
const requestRegistry: Registry = z.registry<{ id: string }>();
const responseRegistry: Registry = z.registry<{ id: string }>();

/** Response JSON Schemas by the object a route declares, for the response check. */
const declared = new WeakMap<object, z.ZodType>();

const COMPONENTS = "#/components/schemas/";
type JsonSchema = Record<string, unknown>;

function register(registry: Registry, schema: z.ZodType, id: string): { $ref: string } {
  const existing = registry.get(schema);
  if (existing !== undefined && existing.id !== id) throw new Error(`schema registered as ${existing.id} and ${id}`);
  if (existing === undefined) {
    for (const other of [requestRegistry, responseRegistry]) {
      if (other._idmap.has(id) && other._idmap.get(id) !== schema) throw new Error(`two schemas are named ${id}`);
    }
    registry.add(schema, { id });
  }
  return { $ref: `${COMPONENTS}${id}` };
}

/** A request body, as the input it accepts (defaults may be left out). */
export function requestBody(schema: z.ZodType, id: string): JsonSchema {
  return register(requestRegistry, schema, id);
}

/** A query string or path parameters, inline: each property becomes one parameter. */
export function parameters(schema: z.ZodType): JsonSchema {
  const json = z.toJSONSchema(schema, { io: "input", target: "openapi-3.0", unrepresentable: "any" }) as JsonSchema;
  delete json.$schema;
  return json;
}

/** One documented answer: a body schema and what it means, or a description alone (no body). */
export type Answer = readonly [schema: z.ZodType, id: string, description: string] | string;

/** The common error statuses and what each means on any route. */
const ERROR_MEANINGS: Record<number, string> = {
  400: "Bad input: `details` names every bad field with its path",
  401: "No token, or an unknown or revoked one",
  403: "The token's scope does not allow this call",
  404: "The named thing does not exist",
  409: "A stale version, a key that exists, or something still in use",
  413: "The body is larger than the server accepts",
  412: "A gate is closed (the verdict failed it): `details` holds the verdict",
  414: "The URL is longer than the server accepts",
  415: "The body is not JSON",
  428: "A version is required: send it in the body or as If-Match",
  429: "Too many calls (per token) or failed authentications (per address); `Retry-After` says when to retry",
  500: "An unexpected error; the server log has the details",
  503: "The store is unavailable; nothing was changed",
};

/**
 * The responses of one route: its successes, and error statuses answered with the error body.
 *
 * @example
 * response({ 200: [FlagRecordSchema, "FlagRecord", "The flag"] }, [404])
 */
export function response(successes: Record<number, Answer>, errors: readonly number[] = []): Record<string, JsonSchema> {
  const out: Record<string, JsonSchema> = {};
  for (const [status, answer] of Object.entries(successes)) out[status] = answerSchema(answer);
  for (const status of errors) out[String(status)] = answerSchema([ErrorBodySchema, "ErrorBody", ERROR_MEANINGS[status] ?? "An error"]);
  return out;
}

function answerSchema(answer: Answer): JsonSchema {
  if (typeof answer === "string") return { description: answer, type: "null" };
  const [schema, id, description] = answer;
  const json = { description, ...register(responseRegistry, schema, id) };
  declared.set(json, schema);
  return json;
}

/** The error statuses every authenticated route may answer, added to each route by the app. */
export function commonErrors(scoped: boolean): Record<string, JsonSchema> {
  return response({}, scoped ? [401, 403, 429, 500, 503] : [500]);
}

/** The zod schema a route declared for this response JSON Schema, if any. */
export function declaredSchema(json: unknown): z.ZodType | undefined {
  return typeof json === "object" && json !== null ? declared.get(json) : undefined;
}

/**
 * Every registered body as a component. zod puts schemas used by several components (the JSON
 * value of a variant, for one) under `__shared`'s `definitions`; OpenAPI has no such nesting, so
 * they become components of their own and every reference is rewritten to point at them.
 */
export function componentSchemas(): Record<string, JsonSchema> {
  const out: Record<string, JsonSchema> = {};
  for (const [registry, io, prefix] of [
    [requestRegistry, "input", "RequestShared"],
    [responseRegistry, "output", "ResponseShared"],
  ] as const) {
    const { schemas } = z.toJSONSchema(registry, {
      io,
      target: "openapi-3.0",
      unrepresentable: "any",
      uri: (id) => `${COMPONENTS}${id}`,
    }) as { schemas: Record<string, JsonSchema> };
    const shared = (schemas.__shared?.definitions ?? {}) as Record<string, JsonSchema>;
    delete schemas.__shared;
    for (const [name, schema] of Object.entries(shared)) schemas[`${prefix}${name.replace(/^schema/, "")}`] = schema;
    const sharedRef = new RegExp(`^${COMPONENTS}__shared#/definitions/schema`);
    for (const [name, schema] of Object.entries(schemas))
      out[name] = tidy(schema, (ref) => ref.replace(sharedRef, `${COMPONENTS}${prefix}`));
  }
  return out;
}

/** A copy without `$id`/`$schema` (not OpenAPI 3.0 keywords) and with references rewritten. */
function tidy(value: unknown, rewrite: (ref: string) => string): JsonSchema {
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (typeof node !== "object" || node === null) return node;
    const copy: JsonSchema = {};
    for (const [key, inner] of Object.entries(node)) {
      if (key === "$id" || key === "$schema") continue;
      copy[key] = key === "$ref" && typeof inner === "string" ? rewrite(inner) : walk(inner);
    }
    return copy;
  };
  return walk(value) as JsonSchema;
}
