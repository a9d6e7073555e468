import { type FlagJudgeSettingsResponse, isRecord, parseJudgeSettings } from "@darklaunch/core";
import type { FlagService } from "../flags/flag-service.js";
import type { JudgeSettingsStore, JudgeSettingsTransaction, StoredJudgeSettings } from "./judge-settings-store.js";
import { settingPaths } from "./layered-settings.js";

/**
 * Per-flag judge settings: what `/verdict`, `/analysis`, Prometheus and ramps judge a flag with.
 * A flag stores only the fields it sets; every other field takes its default. Writes are checked
 * whole (a 400 names each bad field and nothing is stored) and audited with the flag's changes.
 */
export class JudgeSettingsService {
  constructor(
    private readonly store: JudgeSettingsStore,
    private readonly transaction: JudgeSettingsTransaction,
    private readonly flags: FlagService,
    private readonly now: () => number = Date.now,
  ) {}

  /** The flag's effective settings and which fields it sets; 404 for an unknown flag. */
  async get(key: string): Promise<FlagJudgeSettingsResponse> {
    await this.flags.get(key);
    return view(key, await this.store.get(key));
  }

  /** Only the fields the flag sets (`{}` when none): the layer ramps put their own settings over. */
  async stored(key: string): Promise<Record<string, unknown>> {
    return (await this.store.get(key))?.settings ?? {};
  }

  /** Replaces the flag's settings with `input` (any subset of the fields). */
  async set(key: string, input: unknown, actor: string): Promise<FlagJudgeSettingsResponse> {
    await this.flags.get(key);
    // Throws a ValidationError naming each bad field (`tolerances.errors: must be at least 1`).
    parseJudgeSettings(input ?? {});
    const settings = isRecord(input) ? input : {};
    const written: StoredJudgeSettings = { flag: key, settings, updatedAt: new Date(this.now()).toISOString(), updatedBy: actor };
    await this.transaction(async (tx) => {
      const before = await tx.settings.get(key);
      await tx.settings.put(written);
      await tx.audit.record({
        actor,
        action: "judge.set",
        targetType: "flag",
        targetKey: key,
        before: before?.settings ?? null,
        after: settings,
      });
    });
    return view(key, written);
  }

  /** Returns every field to its default. */
  async reset(key: string, actor: string): Promise<FlagJudgeSettingsResponse> {
    await this.flags.get(key);
    await this.transaction(async (tx) => {
      const before = await tx.settings.get(key);
      if (!(await tx.settings.remove(key))) return;
      await tx.audit.record({
        actor,
        action: "judge.reset",
        targetType: "flag",
        targetKey: key,
        before: before?.settings ?? null,
        after: null,
      });
    });
    return view(key, undefined);
  }
}

function view(key: string, stored: StoredJudgeSettings | undefined): FlagJudgeSettingsResponse {
  const settings = stored?.settings ?? {};
  return {
    flag: key,
    settings: parseJudgeSettings(settings),
    set: settingPaths(settings),
    stored: settings,
    updatedAt: stored?.updatedAt ?? null,
    updatedBy: stored?.updatedBy ?? null,
  };
}
