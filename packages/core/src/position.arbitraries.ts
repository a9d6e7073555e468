import fc from "fast-check";

/** Subjects as they arrive: ASCII ids, UUIDs, full Unicode (with lone surrogates), long strings. */
export const subjectArb = fc.oneof(
  fc.stringMatching(/^[a-z]{1,8}-[0-9]{1,9}$/),
  fc.uuid(),
  fc.string({ unit: "binary", minLength: 1, maxLength: 40 }),
  fc.string({ minLength: 60, maxLength: 300 }),
);

/** Salts: flag keys, the empty salt (plain md5(id)), and arbitrary text. */
export const saltArb = fc.oneof(fc.constant(""), fc.stringMatching(/^[a-z][a-z0-9-]{0,30}$/), fc.string({ maxLength: 80 }));

/** Percentages with at most two decimals, as integer hundredths. */
export const hundredthsArb = fc.integer({ min: 0, max: 10_000 });
