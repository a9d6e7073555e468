import { type Override, ValidationError } from "@darklaunch/core";
import { badFields, ConflictError, NotFoundError } from "../errors.js";
import type { FlagService } from "../flags/flag-service.js";
import type { ConfigTransactions } from "../ruleset/config-transactions.js";
import { assertValidAfter } from "../ruleset/read-ruleset.js";
import type { Stores } from "../store/stores.js";
import type { OverrideRecord } from "./override-store.js";

/** What a caller sends for one subject: the source and, where the flag needs one, the variant. */
export interface OverrideChange {
  variant?: string;
  source: Override["source"];
}

/** The audit target of an override: `<flag>/<subject>`. */
const overrideTarget = (flag: string, subject: string) => `${flag}/${subject}`;

/**
 * Per-subject overrides (opt-in, opt-out, pinned variant). Each write is one config transaction with
 * its audit entry; the override is validated against its flag within the whole ruleset.
 */
export class OverrideService {
  /** `stores` are bound to the database (reads); writes run in `config` transactions. */
  constructor(
    private readonly stores: Stores,
    private readonly config: ConfigTransactions,
    private readonly flags: FlagService,
  ) {}

  async list(flag: string): Promise<OverrideRecord[]> {
    await this.flags.get(flag);
    return this.stores.overrides.list(flag);
  }

  /** Creates or replaces the subject's override; `created` tells which. */
  put(flag: string, subject: string, change: OverrideChange, actor: string): Promise<{ override: OverrideRecord; created: boolean }> {
    const override: Override = {
      flag,
      subject,
      source: change.source,
      ...(change.variant === undefined ? {} : { variant: change.variant }),
    };
    return this.config.run(async (tx) => {
      const target = await tx.flags.get(flag);
      if (!target) throw new NotFoundError("flag", flag);
      // Overrides of an archived flag are kept but not evaluated; a new one could not be validated.
      if (target.archived) throw new ConflictError("IN_USE", `flag "${flag}" is archived; unarchive it to set overrides`);
      const before = await tx.overrides.get(flag, subject);
      await assertValidOverride(tx, override);
      const at = new Date().toISOString();
      await tx.overrides.put(override, at);
      const record: OverrideRecord = {
        flag,
        subject,
        variant: override.variant ?? null,
        source: override.source,
        createdAt: before?.createdAt ?? at,
      };
      await tx.audit.record({
        actor,
        action: "override.set",
        targetType: "override",
        targetKey: overrideTarget(flag, subject),
        before,
        after: record,
      });
      return { override: record, created: before === undefined };
    });
  }

  async delete(flag: string, subject: string, actor: string): Promise<void> {
    await this.config.run(async (tx) => {
      if (!(await tx.flags.get(flag))) throw new NotFoundError("flag", flag);
      const before = await tx.overrides.get(flag, subject);
      if (!before || !(await tx.overrides.delete(flag, subject))) throw new NotFoundError("override", overrideTarget(flag, subject));
      await tx.audit.record({
        actor,
        action: "override.delete",
        targetType: "override",
        targetKey: overrideTarget(flag, subject),
        before,
      });
    });
  }
}

/**
 * Validates the ruleset with this override in place of the subject's old one, so an unknown variant
 * or an opt-in that cannot tell which variant is meant is a 400. Problems of this override are
 * shown at its own field paths (`variant`), not at `overrides[12].variant`.
 */
async function assertValidOverride(tx: Stores, override: Override): Promise<void> {
  const what = `override of flag "${override.flag}" for subject "${override.subject}"`;
  let index = -1;
  try {
    await assertValidAfter(tx, what, (rs) => {
      const overrides = rs.overrides.filter((o) => !(o.flag === override.flag && o.subject === override.subject));
      index = overrides.length;
      return { ...rs, overrides: [...overrides, override] };
    });
  } catch (error) {
    if (!(error instanceof ValidationError) || index < 0) throw error;
    const prefix = `overrides[${index}].`;
    throw badFields(
      error.problems.map((p) => (p.path.startsWith(prefix) ? { ...p, path: p.path.slice(prefix.length) } : p)),
      what,
    );
  }
}
