/**
 * ISO 8601 dates: a date (`2027-01-31`, read as UTC midnight) or a date-time that carries its zone
 * (`2026-12-01T08:00:00Z`, `…+01:00`). A date-time without a zone is rejected because JavaScript
 * reads it in the machine's local time, so two machines would disagree.
 */
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

/** Milliseconds since the epoch for an ISO 8601 string, or NaN when it is not one. */
export function parseIsoDate(text: string): number {
  if (!ISO_DATE.test(text)) return Number.NaN;
  // Date.parse rolls a day the month lacks over (2026-02-30 → March 2nd); such a string is no date.
  if (Number(text.slice(8, 10)) > daysInMonth(Number(text.slice(0, 4)), Number(text.slice(5, 7)))) return Number.NaN;
  return Date.parse(text);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** A date attribute or condition value: an ISO 8601 string or epoch milliseconds. NaN otherwise. */
export function toEpochMs(value: unknown): number {
  if (typeof value === "number") return Number.isFinite(value) ? value : Number.NaN;
  if (typeof value === "string") return parseIsoDate(value);
  return Number.NaN;
}
