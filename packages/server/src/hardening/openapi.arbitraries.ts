import fc from "fast-check";

type Schema = Record<string, unknown>;

/** An OpenAPI document as `app.swagger()` returns it: paths, and bodies as components. */
export interface ApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
}

export interface Operation {
  parameters?: { in: string; name: string; required?: boolean; schema: Schema }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
}

/** Values that are valid in many places (the seeded flag, segment, subject), so requests get past the first check. */
const KNOWN = ["fz", "fzs", "u1", "on", "off", "2026-11-22T07:31:00Z", "1h", "id"];

/** Strings that break things: empty, NUL, a lone surrogate, huge, odd unicode, path tricks. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom("", "\u0000", "a\uD800", "\uDC00b", "../../etc/passwd", "%2e%2e%2f", "😀", "\u202e", " ", "null", "-1", "1e309"),
  fc.integer({ min: 1_025, max: 300_000 }).map((n) => "x".repeat(n)),
  fc.string({ unit: "binary", maxLength: 40 }),
);

/** Numbers at the edges: huge, tiny, negative, past 2^53, not integers. */
const hostileNumber = fc.oneof(
  fc.constantFrom(0, -0, -1, 1e-300, 1e308, -1e308, 2 ** 53, 2 ** 63, Number.MAX_SAFE_INTEGER, 100.001, 0.5),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
);

/**
 * Values shaped by a JSON Schema (resolving `$ref` into the document), with a hostile value in
 * place of any part now and then, so requests reach deep into the handlers before something is wrong.
 */
export function valueFor(schema: Schema | undefined, doc: ApiDocument, depth = 0): fc.Arbitrary<unknown> {
  const shaped = shapedValue(schema, doc, depth);
  return fc.oneof({ arbitrary: shaped, weight: 6 }, { arbitrary: hostileValue, weight: 1 });
}

function shapedValue(schema: Schema | undefined, doc: ApiDocument, depth: number): fc.Arbitrary<unknown> {
  if (schema === undefined || depth > 6) return fc.jsonValue({ maxDepth: 2 });
  const ref = schema.$ref;
  if (typeof ref === "string") return valueFor(doc.components?.schemas?.[ref.split("/").at(-1)!], doc, depth + 1);
  const options = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  if (options) return fc.oneof(...options.map((s) => valueFor(s, doc, depth + 1)));
  if (Array.isArray(schema.allOf)) return valueFor(schema.allOf[0] as Schema, doc, depth + 1);
  if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]));
  const nullable = schema.nullable === true;
  const base = typed(schema, doc, depth);
  return nullable ? fc.oneof(base, fc.constant(null)) : base;
}

function typed(schema: Schema, doc: ApiDocument, depth: number): fc.Arbitrary<unknown> {
  switch (schema.type) {
    case "object": {
      const properties = (schema.properties ?? {}) as Record<string, Schema>;
      const required = new Set((schema.required ?? []) as string[]);
      const record = fc.record(Object.fromEntries(Object.entries(properties).map(([name, s]) => [name, valueFor(s, doc, depth + 1)])), {
        requiredKeys: Object.keys(properties).filter((k) => required.has(k)),
      });
      const extra = schema.additionalProperties;
      if (extra === undefined || extra === false) return record;
      const values = isSchema(extra) && Object.keys(extra).length > 0 ? valueFor(extra, doc, depth + 1) : fc.jsonValue({ maxDepth: 2 });
      return fc
        .tuple(
          record,
          fc.dictionary(fc.oneof(fc.constantFrom(...KNOWN), fc.string({ maxLength: 8 })), values as fc.Arbitrary<unknown>, { maxKeys: 4 }),
        )
        .map(([a, b]) => ({ ...b, ...a }));
    }
    case "array":
      return fc.array(valueFor(schema.items as Schema | undefined, doc, depth + 1), { maxLength: 4 });
    case "string":
      return fc.oneof(
        fc.constantFrom(...KNOWN),
        fc.string({ maxLength: 12 }),
        fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      );
    case "integer":
      return fc.oneof(fc.integer({ min: -2, max: 200 }), hostileNumber);
    case "number":
      return fc.oneof(fc.double({ min: 0, max: 100, noNaN: true }), fc.integer({ min: 0, max: 100 }), hostileNumber);
    case "boolean":
      return fc.boolean();
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

function isSchema(value: unknown): value is Schema {
  return typeof value === "object" && value !== null;
}

/** JSON text nested `depth` arrays or objects deep, written out (building it as a value would recurse). */
export const deepText: fc.Arbitrary<string> = fc
  .tuple(fc.integer({ min: 60, max: 5_000 }), fc.boolean())
  .map(([depth, objects]) =>
    objects ? `${'{"context":'.repeat(depth)}1${"}".repeat(depth)}` : `${"[".repeat(depth)}1${"]".repeat(depth)}`,
  );

/** Values that are wrong by size or kind rather than by shape. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  hostileNumber,
  fc.constant(null),
  fc.integer({ min: 1_000, max: 30_000 }).map((n) => Array.from({ length: n }, (_, i) => `id-${i}`)),
  fc.integer({ min: 100, max: 5_000 }).map((n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]))),
);
