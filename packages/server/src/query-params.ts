import { parseIsoDate } from "@darklaunch/core";
import { z } from "zod";

const DURATION = /^(\d{1,6})(s|m|h|d|w)$/;
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** Milliseconds in a duration such as `30m`, `1h`, `7d`, or undefined when it is not one. */
export function durationMs(text: string): number | undefined {
  const match = DURATION.exec(text);
  if (!match) return undefined;
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

/**
 * A point in time as a query parameter: an ISO 8601 date or date-time with its zone, or a duration
 * (`30m`, `1h`, `7d`, `2w`) meaning "that long ago". Parsed to the stored form (`toISOString()`),
 * so it compares correctly with the text timestamps of both databases.
 *
 * @example
 * TimeParam.parse("1h"); // "2026-05-01T11:00:00.000Z" when it is noon
 */
export const TimeParam = z.string().transform((text, ctx) => {
  const ago = durationMs(text);
  const ms = ago === undefined ? parseIsoDate(text) : Date.now() - ago;
  if (Number.isNaN(ms)) {
    ctx.addIssue({
      code: "custom",
      message: `must be an ISO 8601 date (2026-05-01, 2026-05-01T08:00:00Z) or a duration such as 30m, 1h, 7d; got ${JSON.stringify(text)}`,
    });
    return z.NEVER;
  }
  return new Date(ms).toISOString();
});

/** A duration parameter (`period=1d`), in milliseconds. */
export const DurationParam = z.string().transform((text, ctx) => {
  const ms = durationMs(text);
  if (ms === undefined || ms === 0) {
    ctx.addIssue({ code: "custom", message: `must be a duration such as 30m, 1h, 7d or 2w; got ${JSON.stringify(text)}` });
    return z.NEVER;
  }
  return ms;
});

/** Paging through a log newest first: `before` an id, `limit` rows (default 100, at most 1000). */
export const PageParams = {
  before: z.coerce.number().int().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
};

/** The `before` of the next (older) page, or null when this page was the last. */
export function nextBefore(rows: readonly { id: number }[], limit: number): number | null {
  return rows.length === limit ? (rows[rows.length - 1]?.id ?? null) : null;
}
