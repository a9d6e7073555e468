import { compile, type Ruleset, type Snapshot } from "@darklaunch/core";
import type { Stores, Transactor } from "../store/stores.js";
import { readRuleset } from "./read-ruleset.js";

export interface CompiledRuleset {
  revision: number;
  ruleset: Ruleset;
  snapshot: Snapshot;
}

/**
 * The compiled ruleset of the current revision. Reading the revision is one indexed row; the whole
 * ruleset is loaded and compiled again only after a write, and concurrent callers share one load.
 */
export class RulesetCache {
  private current: CompiledRuleset | undefined;
  private loading: Promise<CompiledRuleset> | undefined;
  private loadingFor = -1;

  /** `stores` are bound to the database; `now` is the clock schedules are evaluated against (default `Date.now`). */
  constructor(
    private readonly stores: Stores,
    private readonly transactor: Transactor,
    private readonly now: () => number = Date.now,
  ) {}

  /** The revision as stored now (one indexed row; readiness checks use it to see the store answer). */
  revision(): Promise<number> {
    return this.stores.revision.current();
  }

  async get(): Promise<CompiledRuleset> {
    const revision = await this.revision();
    if (this.current?.revision === revision) return this.current;
    // A load started for an older revision may not see this one: it is not shared, a newer one starts.
    if (!this.loading || this.loadingFor < revision) {
      this.loadingFor = revision;
      const loading = this.load()
        .then(({ revision: loaded, ruleset }) => {
          const next = { revision: loaded, ruleset, snapshot: compile(ruleset, { now: this.now }) };
          if (!this.current || loaded >= this.current.revision) this.current = next;
          return next;
        })
        .finally(() => {
          if (this.loading === loading) this.loading = undefined;
        });
      this.loading = loading;
    }
    return this.loading;
  }

  /** Everything evaluation needs, read in one transaction so that it is one consistent state. */
  private load(): Promise<{ revision: number; ruleset: Ruleset }> {
    return this.transactor.transaction(
      async (stores) => ({ revision: await stores.revision.current(), ruleset: await readRuleset(stores) }),
      { isolation: "repeatable read" },
    );
  }
}
