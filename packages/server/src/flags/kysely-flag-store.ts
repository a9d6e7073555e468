import { type Flag, isRecord, NEVER_MATCHING_REGEX, NOT_EVALUABLE_RULE, parseFlag, regexProblem } from "@darklaunch/core";
import type { Db } from "../store/database.js";
import type { FlagRecord, FlagStore } from "./flag-store.js";

type FlagRow = { key: string; version: number; archived: number; data: string; created_at: string; updated_at: string };

/** Rows per `key in (…)` lookup: far below both databases' parameter limits. */
const KEYS_CHUNK = 500;

/** The one mapping of a `flags` row: every reader of flags goes through it. */
function fromRow(row: FlagRow): FlagRecord {
  // Stored flags were validated on the way in; parsing again fills defaults added by later versions.
  const flag = parseStored(JSON.parse(row.data));
  return {
    ...flag,
    version: Number(row.version),
    archived: Number(row.archived) === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/**
 * Parses a stored flag. A flag saved before `matches` moved to RE2 may hold a regex RE2 rejects
 * (backreference, lookaround): rather than fail every read of the flag list and the ruleset, such
 * a rule is served as not evaluable — the condition never holds, so the rule never matches, and its
 * description says why. Saving the flag again checks every regex as usual.
 */
function parseStored(data: unknown): Flag {
  try {
    return parseFlag(data);
  } catch (error) {
    const repaired = withUnevaluableRules(data);
    if (repaired === undefined) throw error;
    return parseFlag(repaired);
  }
}

function withUnevaluableRules(data: unknown): Record<string, unknown> | undefined {
  if (!isRecord(data) || !Array.isArray(data.rules)) return undefined;
  let changed = false;
  const rules = data.rules.map((rule: unknown) => {
    if (!isRecord(rule) || !Array.isArray(rule.conditions)) return rule;
    const why: string[] = [];
    const conditions = rule.conditions.map((condition: unknown, i: number) => {
      if (!isRecord(condition) || condition.op !== "matches" || !Array.isArray(condition.values)) return condition;
      const bad = condition.values.flatMap((value: unknown) => {
        const problem = typeof value === "string" ? regexProblem(value) : undefined;
        return problem === undefined ? [] : [`${JSON.stringify(value)}: ${problem}`];
      });
      if (bad.length === 0) return condition;
      why.push(`condition ${i + 1} (${String(condition.attribute)} matches ${bad.join(", ")})`);
      // Not negated: a condition that never holds makes the whole rule (all of its conditions) never match.
      const { negate: _negate, ...rest } = condition;
      return { ...rest, values: [NEVER_MATCHING_REGEX] };
    });
    if (why.length === 0) return rule;
    changed = true;
    const was = typeof rule.description === "string" && rule.description !== "" ? ` (description: ${rule.description})` : "";
    const description = `${NOT_EVALUABLE_RULE}, never matches: ${why.join("; ")}; save the flag with RE2 regexes to evaluate this rule again${was}`;
    return { ...rule, conditions, description: description.length > 1024 ? `${description.slice(0, 1021)}...` : description };
  });
  return changed ? { ...data, rules } : undefined;
}

/** Flags in the `flags` table (the flag as JSON in `data`), on SQLite or Postgres. */
export class KyselyFlagStore implements FlagStore {
  constructor(private readonly db: Db) {}

  async get(key: string): Promise<FlagRecord | undefined> {
    const row = await this.db.selectFrom("flags").selectAll().where("key", "=", key).executeTakeFirst();
    return row ? fromRow(row) : undefined;
  }

  async list(): Promise<FlagRecord[]> {
    const rows = await this.db.selectFrom("flags").selectAll().orderBy("key").execute();
    return rows.map(fromRow);
  }

  async listActive(): Promise<FlagRecord[]> {
    const rows = await this.db.selectFrom("flags").selectAll().where("archived", "=", 0).orderBy("key").execute();
    return rows.map(fromRow);
  }

  async existing(keys: readonly string[]): Promise<Set<string>> {
    const known = new Set<string>();
    for (let i = 0; i < keys.length; i += KEYS_CHUNK) {
      const rows = await this.db
        .selectFrom("flags")
        .select("key")
        .where("key", "in", keys.slice(i, i + KEYS_CHUNK))
        .execute();
      for (const row of rows) known.add(row.key);
    }
    return known;
  }

  async insert(flag: Flag, at: string): Promise<void> {
    await this.db
      .insertInto("flags")
      .values({ key: flag.key, version: flag.version, archived: 0, data: JSON.stringify(flag), created_at: at, updated_at: at })
      .execute();
  }

  async update(next: Flag, expected: number, archived: boolean, at: string): Promise<boolean> {
    const result = await this.db
      .updateTable("flags")
      .set({ version: next.version, archived: archived ? 1 : 0, data: JSON.stringify(next), updated_at: at })
      .where("key", "=", next.key)
      .where("version", "=", expected)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async delete(key: string, expected: number): Promise<boolean> {
    const result = await this.db.deleteFrom("flags").where("key", "=", key).where("version", "=", expected).executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }
}
