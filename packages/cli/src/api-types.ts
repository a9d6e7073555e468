import type { ComparisonSummary, FieldReport, Flag, MismatchSample, SideSummary } from "@darklaunch/core";

/** A flag as the API returns it (FlagRecord plus its rollout percentage, null when it has none). */
export interface FlagView extends Flag {
  archived: boolean;
  createdAt: string;
  updatedAt: string;
  percentage: number | null;
}

export interface SegmentView {
  key: string;
  description: string;
  conditions: unknown[];
  version: number;
  idCount?: number;
  createdAt?: string;
  updatedAt?: string;
}

export interface OverrideView {
  flag: string;
  subject: string;
  variant: string | null;
  source: string;
  createdAt?: string;
}

export interface TokenView {
  id: string;
  name: string;
  scope: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface AuditEntryView {
  id: number;
  at: string;
  actor: string;
  action: string;
  targetType: string;
  targetKey: string;
  before: unknown;
  after: unknown;
}

export interface EvaluationView {
  id: number;
  at: string;
  flag: string;
  flagVersion: number | null;
  subject: string | null;
  variant: string | null;
  verdict: "include" | "exclude";
  reason: string;
  position: number | null;
  source: string;
}

export interface StatsView {
  since: string;
  until: string;
  total: number;
  byVerdict: Record<string, number>;
  byReason: Record<string, number>;
  byVariant: Record<string, number>;
  flags: { flag: string; total: number; include: number; exclude: number; includeRate: number }[];
}

export interface CheckResultView {
  subject: string;
  variant: string | null;
  value: unknown;
  included: boolean;
  verdict: "include" | "exclude";
  reason: string;
  ruleId: string | null;
  position: number | null;
  includedFrom: number | null;
  whatIf: { percentage: number; included: boolean; decidedEarlier: boolean } | null;
  summary: string;
  steps: unknown[];
}

export interface CheckView {
  flagKey: string;
  flagVersion: number;
  bucketBy: string;
  salt: string;
  percentage: number | null;
  whatIfPercentage: number | null;
  included: number;
  results: CheckResultView[];
}

/** One side of a dark launch over a step or period (`GET /flags/{key}/observations`). */
export type SideRatesView = SideSummary & { requestRate: number };

export interface ObservationSeriesView {
  flag: string;
  since: string;
  until: string;
  step: string;
  stepSeconds: number;
  series: { start: string; baseline: SideRatesView; dark: SideRatesView; comparison: ComparisonSummary }[];
  totals: { baseline: SideRatesView; dark: SideRatesView; comparison: ComparisonSummary };
}

/** `GET /flags/{key}/mismatches`: the fields that differed and the newest samples. */
export interface MismatchesView {
  flag: string;
  since: string;
  until: string;
  comparison: ComparisonSummary;
  fields: FieldReport[];
  samples: (MismatchSample & { route: string; source: string })[];
}
