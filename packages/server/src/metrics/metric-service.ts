import {
  attributeEvent,
  type BusinessMinuteCounts,
  businessMinutes,
  defaultMetricKey,
  type EventBatch,
  type EventRecordResult,
  exposureOf,
  MAX_METRICS_PER_FLAG,
  type MetricBatch,
  MetricCounter,
  type MetricDefinition,
  type MetricRecordResult,
  type MetricRequestSchema,
} from "@darklaunch/core";
import type { z } from "zod";
import { badField, NotFoundError } from "../errors.js";
import type { FlagService } from "../flags/flag-service.js";
import { type DataMinutes, ontoDataMinutes } from "../observations/observation-service.js";
import type { RulesetCache } from "../ruleset/ruleset-cache.js";
import type { MetricStore, MetricTransaction } from "./metric-store.js";

const MINUTE_MS = 60_000;

export interface MetricServiceOptions {
  /** The clock events without `at` are stamped with (default `Date.now`). */
  now?: (() => number) | undefined;
  /** The server's minute in ms (default 60 000); shorter in tests and demos, as for observations. */
  minuteMs?: number | undefined;
  /** With short minutes: the data minute of windows of flags under an active ramp. */
  dataMinutes?: DataMinutes | undefined;
}

/** How far in the future an event's `at` may be (clock skew), before it is refused. */
const MAX_FUTURE_MS = 5 * 60_000;

export interface BusinessMetricMinutes {
  definition: MetricDefinition;
  minutes: BusinessMinuteCounts[];
}

/**
 * Business metrics (docs/architecture.md#business-metrics): each flag's metric definitions, the
 * windows SDKs report, events from services without an SDK (attributed here with the same
 * bucketing), and the per-minute arms the judge reads.
 *
 * Nothing of a tracked context is stored: only the 64-bit hash of its subject inside a distinct
 * sketch, so there is nothing to redact.
 */
export class MetricService {
  constructor(
    private readonly store: MetricStore,
    private readonly transaction: MetricTransaction,
    private readonly flags: FlagService,
    private readonly rulesets: RulesetCache,
    options: MetricServiceOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.minuteMs = Math.min(options.minuteMs ?? MINUTE_MS, MINUTE_MS);
    this.dataMinutes = options.dataMinutes;
  }

  private readonly now: () => number;
  /** The length of the windows reporters send, in ms. */
  readonly minuteMs: number;
  private readonly dataMinutes: DataMinutes | undefined;

  /** A flag's metrics (404 when the flag does not exist). */
  async list(flag: string): Promise<MetricDefinition[]> {
    await this.flags.get(flag);
    return this.store.definitions(flag);
  }

  /** Every flag's metrics: what SDKs need to attribute events. */
  all(): Promise<MetricDefinition[]> {
    return this.store.definitions();
  }

  /**
   * Creates or replaces a metric of `flag`; `created` tells which. Audited with the flag's changes
   * (`metric.create` or `metric.replace`, before → after) in the same transaction.
   */
  async put(
    flag: string,
    request: z.output<typeof MetricRequestSchema>,
    actor: string,
  ): Promise<{ metric: MetricDefinition; created: boolean }> {
    await this.flags.get(flag);
    const key = request.key ?? defaultMetricKey(request.event, request.kind);
    const at = new Date(this.now()).toISOString();
    return this.transaction(async (tx) => {
      const existing = await tx.metrics.definitions(flag);
      const before = existing.find((m) => m.key === key);
      if (before === undefined && existing.length >= MAX_METRICS_PER_FLAG) {
        throw badField("key", `flag "${flag}" has ${existing.length} metrics already, the most a flag may have; remove one first`);
      }
      const metric = await tx.metrics.putDefinition({
        key,
        flagKey: flag,
        event: request.event,
        kind: request.kind,
        direction: request.direction,
        tolerance: request.tolerance,
        critical: request.critical,
        createdAt: at,
        updatedAt: at,
      });
      await tx.audit.record({
        actor,
        action: before === undefined ? "metric.create" : "metric.replace",
        targetType: "flag",
        targetKey: flag,
        before: before ?? null,
        after: metric,
      });
      return { metric, created: before === undefined };
    });
  }

  /** Removes a metric of `flag` (404 when it has none of that key), audited `metric.remove` in the same transaction. */
  async remove(flag: string, key: string, actor: string): Promise<void> {
    await this.flags.get(flag);
    await this.transaction(async (tx) => {
      const before = (await tx.metrics.definitions(flag)).find((m) => m.key === key);
      if (before === undefined || !(await tx.metrics.deleteDefinition(flag, key))) throw new NotFoundError(`metric of flag "${flag}"`, key);
      await tx.audit.record({ actor, action: "metric.remove", targetType: "flag", targetKey: flag, before, after: null });
    });
  }

  /** Stores an SDK's windows; those of unknown flags are skipped and reported. */
  async record(batch: MetricBatch): Promise<MetricRecordResult> {
    const flags = [...new Set([...batch.exposures, ...batch.windows].map((w) => w.flag))];
    const known = await this.flags.existing(flags);
    const exposures = batch.exposures.filter((w) => known.has(w.flag));
    const windows = batch.windows.filter((w) => known.has(w.flag));
    await this.store.merge(await this.toMinutes({ exposures, windows }));
    return {
      accepted: exposures.length + windows.length,
      skipped: flags.filter((f) => !known.has(f)).map((flag) => ({ flag, reason: "UNKNOWN_FLAG" as const })),
      minuteMs: this.minuteMs,
    };
  }

  /** Short periods onto whole minutes, as observation windows are: a ramp's data minute for a flag under one, else the real minute. */
  private async toMinutes(batch: Pick<MetricBatch, "exposures" | "windows">): Promise<Pick<MetricBatch, "exposures" | "windows">> {
    if (this.minuteMs === MINUTE_MS) return batch;
    const onto = await ontoDataMinutes(
      [...batch.exposures, ...batch.windows].map((w) => w.flag),
      this.dataMinutes,
    );
    return { exposures: batch.exposures.map(onto), windows: batch.windows.map(onto) };
  }

  /**
   * Attributes events and exposures sent by services without an SDK, with the ruleset as it is
   * now: the variant each context gets is the one it got when the event happened, unless the flag
   * changed in between (send promptly).
   */
  async track(batch: EventBatch): Promise<EventRecordResult> {
    const now = this.now();
    const atOf = (at: string | undefined, path: string): number => {
      if (at === undefined) return now;
      const ms = Date.parse(at);
      if (ms > now + MAX_FUTURE_MS) throw badField(path, `is more than 5 minutes in the future (${at}); send the time the event happened`);
      return ms;
    };
    const { snapshot } = await this.rulesets.get();
    const definitions = await this.store.definitions();
    const counter = new MetricCounter();
    counter.minuteMs = this.minuteMs;
    let attributed = 0;
    let exposures = 0;
    batch.events.forEach((e, i) => {
      const at = atOf(e.at, `events[${i}].at`);
      for (const attribution of attributeEvent(snapshot, definitions, e.event, e.context)) {
        counter.track(attribution, e.value, at);
        attributed++;
      }
    });
    batch.exposures.forEach((e, i) => {
      const at = atOf(e.at, `exposures[${i}].at`);
      const exposure = exposureOf(snapshot, e.flag, e.context);
      if (exposure === undefined) return;
      counter.expose(e.flag, exposure.variant, exposure.subject, at);
      exposures++;
    });
    await this.store.merge(await this.toMinutes(counter.drain()));
    return { events: batch.events.length, attributed, exposures };
  }

  /**
   * Each of the flag's metrics as per-minute arms over [since, until): `darkVariant` is the dark
   * arm, the other variants the baseline. What the judge's `business` input is built from.
   */
  async business(flag: string, darkVariant: string, since: string, until: string): Promise<BusinessMetricMinutes[]> {
    const definitions = await this.store.definitions(flag);
    if (definitions.length === 0) return [];
    const { exposures, windows } = await this.store.windows(flag, since, until);
    return definitions.map((definition) => ({ definition, minutes: businessMinutes(definition, darkVariant, exposures, windows) }));
  }
}
