import fc from "fast-check";
import type { ComparedResponse } from "./difference.js";

const encoder = new TextEncoder();

/** Keys that stress path formatting: dots, brackets, quotes, wildcards, `__proto__`. */
export const keyArb = fc.oneof(fc.constantFrom("id", "a.b", "[x]", 'q"', "*", "**", "", "__proto__", "price"), fc.string({ maxLength: 6 }));

/** JSON values with awkward keys. */
export const jsonArb: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => (Object.is(n, -0) ? 0 : n)),
    fc.string({ maxLength: 8 }),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(keyArb, tie("value"), { maxKeys: 4 }),
  ),
})).value;

/** Path patterns that parse: wildcards, element markers, quoted keys. */
export const patternArb = fc
  .tuple(
    fc.constantFrom("body", "**", "*", "headers", "status"),
    fc.array(fc.oneof(fc.constantFrom("*", "**", "[]", "id", "price", "a", '["a.b"]', '["*"]'), fc.stringMatching(/^[a-z]{1,3}$/)), {
      maxLength: 4,
    }),
  )
  .map(([root, parts]) => parts.reduce((out, part) => (part.startsWith("[") ? out + part : `${out}.${part}`), root));

/** Responses whose bodies are JSON (as bytes or a string), text, or absent, with or without a JSON content-type. */
export const responseArb: fc.Arbitrary<ComparedResponse> = fc.record({
  status: fc.constantFrom(200, 201, 404, 500),
  headers: fc.record(
    {
      "content-type": fc.constantFrom("application/json", "application/problem+json; charset=utf-8", "text/plain", "text/html"),
      etag: fc.oneof(fc.string({ maxLength: 4 }), fc.array(fc.string({ maxLength: 3 }), { maxLength: 2 })),
    },
    { requiredKeys: [] },
  ),
  body: fc.oneof(
    jsonArb.map((value) => JSON.stringify(value)),
    jsonArb.map((value) => encoder.encode(JSON.stringify(value))),
    fc.string({ maxLength: 20 }),
    fc.uint8Array({ maxLength: 20 }),
    fc.constant(undefined),
  ),
});
