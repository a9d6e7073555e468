import { z } from "zod";
import { parseIsoDate } from "../dates.js";

/** A duration as the API takes it: up to six digits and a unit (`30s`, `5m`, `1h`, `7d`, `2w`). */
export const DURATION_PATTERN = /^(\d{1,6})(s|m|h|d|w)$/;
const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const MINUTE_MS = 60_000;

/** Milliseconds in a duration such as `30m`, `1h`, `7d`, or undefined when it is not one. */
export function durationMs(text: string): number | undefined {
  const match = DURATION_PATTERN.exec(text);
  if (!match) return undefined;
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

/** The message for a point in time that is neither a duration nor an ISO date. */
export const TIME_PARAM_MESSAGE = "must be an ISO 8601 date (2026-05-01, 2026-05-01T08:00:00Z) or a duration such as 30m, 1h, 7d";

/**
 * A point in time as a query parameter (`since`, `until`): an ISO 8601 date or date-time with its
 * zone, or a duration (`30m`, `1h`, `7d`, `2w`) meaning "that long ago". Parsed to the stored form
 * (`toISOString()`), so it compares correctly with the text timestamps of both databases.
 *
 * @example
 * TimeParam.parse("1h"); // "2026-05-01T11:00:00.000Z" when it is noon
 */
export const TimeParam = z
  .string()
  .describe("an ISO 8601 date or date-time with its zone, or a duration ago (30m, 1h, 7d, 2w)")
  .transform((text, ctx) => {
    const ago = durationMs(text);
    const ms = ago === undefined ? parseIsoDate(text) : Date.now() - ago;
    if (Number.isNaN(ms)) {
      ctx.addIssue({ code: "custom", message: `${TIME_PARAM_MESSAGE}; got ${JSON.stringify(text)}` });
      return z.NEVER;
    }
    return new Date(ms).toISOString();
  });

/** A duration parameter (`period=1d`), in milliseconds; zero is refused. */
export const DurationParam = z
  .string()
  .describe("a duration such as 30m, 1h, 7d or 2w")
  .transform((text, ctx) => {
    const ms = durationMs(text);
    if (ms === undefined || ms === 0) {
      ctx.addIssue({ code: "custom", message: `must be a duration such as 30m, 1h, 7d or 2w; got ${JSON.stringify(text)}` });
      return z.NEVER;
    }
    return ms;
  });

/** A time series step: a duration of whole minutes, at least one (`1m`, `5m`, `1h`, `1d`). */
export const StepParam = z
  .string()
  .describe("a duration of whole minutes, at least 1m (1m, 5m, 1h, 1d)")
  .transform((text, ctx) => {
    const ms = durationMs(text);
    if (ms === undefined || ms < MINUTE_MS || ms % MINUTE_MS !== 0) {
      ctx.addIssue({
        code: "custom",
        message: `must be a duration of whole minutes, at least 1m (1m, 5m, 1h, 1d); got ${JSON.stringify(text)}`,
      });
      return z.NEVER;
    }
    return { text, ms };
  });

/** The longest step there is (`999999m`): one step spans any period, so a series holds only totals. */
export const WHOLE_PERIOD_STEP = "999999m";
