import { describe, expect, expectTypeOf, it } from "vitest";
import type { z } from "zod";
import type { ExplainStep } from "../explain.js";
import type { ComparisonSummary, FieldReport, SideSummary } from "../observation-summary.js";
import type { ObservationSource } from "../observation-window.js";
import { CheckRequestSchema, type CheckResult, type ExplainStepSchema } from "./check.js";
import { type ErrorBody, ErrorBodySchema } from "./errors.js";
import { FlagPatchSchema, LaunchRequestSchema } from "./flags.js";
import { MAX_CHECK_SUBJECTS, MAX_IDS_PER_CALL } from "./limits.js";
import {
  type ComparisonSummarySchema,
  type FieldReportSchema,
  MismatchQuery,
  ObservationSeriesQuery,
  type SideRates,
} from "./observations.js";
import { SegmentIdsChangeSchema } from "./segments.js";
import { DurationParam, durationMs, StepParam, TimeParam } from "./time-params.js";

const messages = (result: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } }) =>
  result.error?.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`) ?? [];

describe("time parameters", () => {
  it("take durations and ISO dates with their zone, and name what they refuse", () => {
    expect(durationMs("90s")).toBe(90_000);
    expect(durationMs("2w")).toBe(1_209_600_000);
    expect(durationMs("1y")).toBeUndefined();
    expect(TimeParam.parse("2026-05-01T08:00:00+02:00")).toBe("2026-05-01T06:00:00.000Z");
    const hourAgo = Date.parse(TimeParam.parse("1h"));
    expect(Math.abs(Date.now() - 3_600_000 - hourAgo)).toBeLessThan(60_000);
    for (const bad of ["1", "March 7", "yesterday"]) {
      expect(messages(TimeParam.safeParse(bad))[0], bad).toContain("must be an ISO 8601 date");
    }
    expect(DurationParam.parse("1d")).toBe(86_400_000);
    expect(DurationParam.safeParse("0m").success).toBe(false);
  });

  it("steps are whole minutes, at least one", () => {
    expect(StepParam.parse("120s")).toEqual({ text: "120s", ms: 120_000 });
    expect(StepParam.parse("1h").ms).toBe(3_600_000);
    for (const bad of ["30s", "90s", "0m", "5"]) expect(messages(StepParam.safeParse(bad))[0], bad).toContain("whole minutes");
    expect(ObservationSeriesQuery.parse({}).step).toEqual({ text: "1m", ms: 60_000 });
    expect(MismatchQuery.parse({ limit: "7" }).limit).toBe(7);
    expect(MismatchQuery.safeParse({ limit: "101" }).success).toBe(false);
    expect(messages(MismatchQuery.safeParse({ source: "browser" }))).toEqual(["source: must be one of proxy, sdk, api"]);
  });
});

describe("request bodies", () => {
  it("a check needs subjects, and at most MAX_CHECK_SUBJECTS of them", () => {
    expect(messages(CheckRequestSchema.safeParse({}))).toEqual([": send `id` or a non-empty `ids`"]);
    expect(CheckRequestSchema.safeParse({ ids: Array.from({ length: MAX_CHECK_SUBJECTS }, (_, i) => `u${i}`) }).success).toBe(true);
    expect(CheckRequestSchema.safeParse({ ids: Array.from({ length: MAX_CHECK_SUBJECTS + 1 }, (_, i) => `u${i}`) }).success).toBe(false);
  });

  it("a segment ids change names ids that are both added and removed, and holds at most MAX_IDS_PER_CALL", () => {
    expect(messages(SegmentIdsChangeSchema.safeParse({ add: ["a", "b"], remove: ["b"] }))).toEqual(['remove.0: "b" is also in add']);
    expect(messages(SegmentIdsChangeSchema.safeParse({}))).toEqual(["add: send ids to add or remove"]);
    const many = Array.from({ length: MAX_IDS_PER_CALL / 2 + 1 }, (_, i) => `u${i}`);
    expect(messages(SegmentIdsChangeSchema.safeParse({ add: many, remove: many.map((id) => `x${id}`) }))[0]).toContain(
      "at most 100000 per call",
    );
  });

  it("a launch needs a percentage and refuses unknown fields; a patch takes a null expiresAt", () => {
    expect(LaunchRequestSchema.parse({ percentage: 12.5, salt: "" })).toEqual({ percentage: 12.5, salt: "" });
    expect(messages(LaunchRequestSchema.safeParse({ percentage: 10.001, bucket: "x" }))).toHaveLength(2);
    expect(FlagPatchSchema.parse({ expiresAt: null })).toEqual({ expiresAt: null });
  });

  it("the error body is what every DarkLaunchError serialises to", () => {
    const body: ErrorBody = { code: "VALIDATION_FAILED", message: "x", details: [{ path: "a", message: "b" }] };
    expect(ErrorBodySchema.parse(body)).toEqual(body);
  });
});

describe("response schemas describe the core's own types", () => {
  it("so a change to one is a compile error in the other", () => {
    expectTypeOf<ExplainStep>().toEqualTypeOf<z.output<typeof ExplainStepSchema>>();
    expectTypeOf<Omit<SideRates, "requestRate">>().toEqualTypeOf<SideSummary>();
    expectTypeOf<SideRates["requestRate"]>().toEqualTypeOf<number>();
    expectTypeOf<ComparisonSummary>().toEqualTypeOf<z.output<typeof ComparisonSummarySchema>>();
    expectTypeOf<FieldReport>().toEqualTypeOf<z.output<typeof FieldReportSchema>>();
    expectTypeOf<CheckResult["steps"][number]>().toEqualTypeOf<ExplainStep>();
    expectTypeOf<ObservationSource>().toEqualTypeOf<z.output<typeof MismatchQuery>["source"] & string>();
  });
});
