import { parseRampPlan, parseRampState, type RampState, type RampStatus } from "@darklaunch/core";
import type { Database, Tables } from "../store/database.js";
import { type PruneOptions, pruneInBatches } from "../store/retention.js";
import type { RampLease, RampStore, StoredRamp, StoredVerdict } from "./ramp-store.js";

type RampRow = Tables["ramps"];

function rampOf(row: RampRow): StoredRamp {
  const plan = parseRampPlan(JSON.parse(row.plan));
  return {
    id: row.id,
    flag: row.flag_key,
    plan,
    state: parseRampState(JSON.parse(row.state), plan),
    darkBuild: row.dark_build,
    judge: JSON.parse(row.judge) as Record<string, unknown>,
    minuteMs: Number(row.minute_ms),
    version: Number(row.version),
    createdBy: row.created_by,
    startedAt: row.started_at,
    updatedAt: row.updated_at,
  };
}

function isActive(state: RampState): number {
  return state.status === "running" || state.status === "paused" ? 1 : 0;
}

/**
 * Ramps in the `ramps`, `ramp_leases` and `ramp_verdicts` tables, on SQLite or Postgres.
 *
 * @example
 * const store = new KyselyRampStore(database);
 * const held = await store.claimLease(ramp.id, "replica-a", now, inTenSeconds);
 */
export class KyselyRampStore implements RampStore {
  constructor(private readonly database: Database) {}

  async create(ramp: StoredRamp): Promise<boolean> {
    // The partial unique index (one active ramp per flag) decides a race between two starts.
    const inserted = await this.database.db
      .insertInto("ramps")
      .values({
        id: ramp.id,
        flag_key: ramp.flag,
        active: isActive(ramp.state),
        status: ramp.state.status,
        plan: JSON.stringify(ramp.plan),
        state: JSON.stringify(ramp.state),
        dark_build: ramp.darkBuild,
        judge: JSON.stringify(ramp.judge),
        minute_ms: ramp.minuteMs,
        version: ramp.version,
        created_by: ramp.createdBy,
        started_at: ramp.startedAt,
        updated_at: ramp.updatedAt,
      })
      .onConflict((oc) => oc.doNothing())
      .returning("id")
      .executeTakeFirst();
    return inserted !== undefined;
  }

  async get(id: string): Promise<StoredRamp | undefined> {
    const row = await this.database.db.selectFrom("ramps").selectAll().where("id", "=", id).executeTakeFirst();
    return row && rampOf(row);
  }

  async remove(id: string): Promise<void> {
    await this.database.db.transaction().execute(async (trx) => {
      await trx.deleteFrom("ramp_verdicts").where("ramp_id", "=", id).execute();
      await trx.deleteFrom("ramp_leases").where("ramp_id", "=", id).execute();
      await trx.deleteFrom("ramps").where("id", "=", id).execute();
    });
  }

  async forFlag(flag: string): Promise<StoredRamp | undefined> {
    const row = await this.database.db
      .selectFrom("ramps")
      .selectAll()
      .where("flag_key", "=", flag)
      .orderBy("active", "desc")
      .orderBy("started_at", "desc")
      .orderBy("id", "desc")
      .limit(1)
      .executeTakeFirst();
    return row && rampOf(row);
  }

  async list(statuses?: readonly RampStatus[]): Promise<StoredRamp[]> {
    let query = this.database.db.selectFrom("ramps").selectAll();
    if (statuses !== undefined) query = query.where("status", "in", [...statuses]);
    const rows = await query.orderBy("started_at", "desc").orderBy("id", "desc").execute();
    return rows.map(rampOf);
  }

  async update(id: string, expected: number, state: RampState, at: string): Promise<boolean> {
    const result = await this.database.db
      .updateTable("ramps")
      .set({ state: JSON.stringify(state), status: state.status, active: isActive(state), version: expected + 1, updated_at: at })
      .where("id", "=", id)
      .where("version", "=", expected)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async claimLease(rampId: string, owner: string, now: string, expiresAt: string): Promise<boolean> {
    const claimed = await this.database.db
      .insertInto("ramp_leases")
      .values({ ramp_id: rampId, owner, expires_at: expiresAt })
      .onConflict((oc) =>
        oc
          .column("ramp_id")
          .doUpdateSet({ owner, expires_at: expiresAt })
          .where((eb) => eb.or([eb("ramp_leases.expires_at", "<=", now), eb("ramp_leases.owner", "=", owner)])),
      )
      .returning("ramp_id")
      .executeTakeFirst();
    return claimed !== undefined;
  }

  async lease(rampId: string): Promise<RampLease | undefined> {
    const row = await this.database.db.selectFrom("ramp_leases").selectAll().where("ramp_id", "=", rampId).executeTakeFirst();
    return row && { owner: row.owner, expiresAt: row.expires_at };
  }

  async releaseLeases(owner: string): Promise<void> {
    await this.database.db.deleteFrom("ramp_leases").where("owner", "=", owner).execute();
  }

  async recordVerdict(verdict: StoredVerdict): Promise<void> {
    await this.database.db
      .insertInto("ramp_verdicts")
      .values({
        ramp_id: verdict.rampId,
        flag_key: verdict.flag,
        at: verdict.at,
        state: verdict.state,
        action: verdict.action,
        replica: verdict.replica,
        why: verdict.why,
        data: JSON.stringify(verdict.verdict),
      })
      .execute();
  }

  async verdicts(rampId: string, limit: number): Promise<StoredVerdict[]> {
    const rows = await this.database.db
      .selectFrom("ramp_verdicts")
      .selectAll()
      .where("ramp_id", "=", rampId)
      .orderBy("id", "desc")
      .limit(limit)
      .execute();
    return rows.map((row) => ({
      rampId: row.ramp_id,
      flag: row.flag_key,
      at: row.at,
      state: row.state,
      action: row.action,
      replica: row.replica,
      why: row.why,
      verdict: JSON.parse(row.data) as Record<string, unknown>,
    }));
  }

  prune(before: string, options: PruneOptions = {}): Promise<number> {
    return pruneInBatches(async (batchSize) => {
      // Bounded like the other stores' prunes; a running or paused ramp keeps its whole history.
      const result = await this.database.db
        .deleteFrom("ramp_verdicts")
        .where("id", "in", (eb) =>
          eb
            .selectFrom("ramp_verdicts")
            .select("id")
            .where("at", "<", before)
            .where("ramp_id", "not in", eb.selectFrom("ramps").select("ramps.id").where("ramps.active", "=", 1))
            .limit(batchSize),
        )
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    }, options);
  }
}
