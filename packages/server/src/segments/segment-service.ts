import { MAX_IDS_PER_CALL, type Problem, validateSegment } from "@darklaunch/core";
import { recordAudit } from "../audit/audit-store.js";
import { badFields, ConflictError, NotFoundError, VersionConflictError } from "../errors.js";
import { listFlags } from "../flags/flag-store.js";
import { assertValidAfter, configTransaction } from "../ruleset/ruleset-store.js";
import type { Database, Db } from "../store/database.js";
import {
  addIds,
  countIds,
  deleteSegment,
  getSegment,
  insertSegment,
  listIds,
  listSegments,
  removeIds,
  type SegmentRecord,
  type SegmentWrite,
  updateSegment,
} from "./segment-store.js";

// Ids one call may add and remove in total: part of the API contract.
export { MAX_IDS_PER_CALL };

export interface IdsChange {
  add: string[];
  remove: string[];
}

export interface IdsChanged {
  added: number;
  removed: number;
  idCount: number;
  version: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const idsLimitMessage = (count: number) =>
  `holds ${count} ids; at most ${MAX_IDS_PER_CALL} per call, add the rest with POST /api/v1/segments/{key}/ids`;

/**
 * Segments: every change is one transaction that checks the version, keeps the whole ruleset valid,
 * writes, records the audit entry and bumps the revision — or does none of it.
 */
export class SegmentService {
  constructor(private readonly database: Database) {}

  list(): Promise<SegmentRecord[]> {
    return listSegments(this.database.db);
  }

  async get(key: string): Promise<SegmentRecord> {
    const segment = await getSegment(this.database.db, key);
    if (!segment) throw new NotFoundError("segment", key);
    return segment;
  }

  /** One page of ids ordered by subject; `nextCursor` is null on the last page. */
  async ids(key: string, cursor: string | undefined, limit: number): Promise<{ ids: string[]; nextCursor: string | null }> {
    await this.get(key);
    const ids = await listIds(this.database.db, key, cursor, limit);
    return { ids, nextCursor: ids.length === limit ? (ids.at(-1) ?? null) : null };
  }

  async create(input: unknown, actor: string): Promise<SegmentRecord> {
    const what = isRecord(input) && typeof input.key === "string" ? `segment "${input.key}"` : "segment";
    // A new segment starts at version 1 whatever the input says (an exported one carries its old one).
    const checked = validateSegment(isRecord(input) ? { ...input, version: 1 } : input);
    const problems: Problem[] = checked.ok ? [] : [...checked.problems];
    if (isRecord(input) && Array.isArray(input.ids) && input.ids.length > MAX_IDS_PER_CALL) {
      problems.push({ path: "ids", message: idsLimitMessage(input.ids.length) });
    }
    if (!checked.ok || problems.length > 0) throw badFields(problems, what);
    const { ids, ...segment } = checked.value;
    return configTransaction(this.database, async (trx) => {
      if (await getSegment(trx, segment.key))
        throw new ConflictError("ALREADY_EXISTS", `segment "${segment.key}" already exists; change it with PUT`);
      await assertValidAfter(trx, what, (rs) => ({ ...rs, segments: [...rs.segments, { ...segment, ids: [] }] }));
      const at = new Date().toISOString();
      await insertSegment(trx, segment, at);
      const idCount = await addIds(trx, this.database.dialect, segment.key, [...new Set(ids)]);
      const record: SegmentRecord = { ...segment, idCount, createdAt: at, updatedAt: at };
      // The record holds the id count, not the ids: an audit row of 100 000 ids helps nobody.
      await recordAudit(trx, { actor, action: "segment.create", targetType: "segment", targetKey: segment.key, after: record });
      return record;
    });
  }

  /** Replaces a segment's description and conditions (PUT); its ids change through `changeIds`. */
  replace(key: string, input: unknown, expected: number | undefined, actor: string): Promise<SegmentRecord> {
    const what = `segment "${key}"`;
    if (!isRecord(input)) throw badFields(validateSegment(input).problems, what);
    const { version, ids, key: bodyKey, ...rest } = input;
    const problems: Problem[] = [];
    if (ids !== undefined)
      problems.push({ path: "ids", message: "PUT does not replace ids; change them with POST /api/v1/segments/{key}/ids" });
    if (bodyKey !== undefined && bodyKey !== key) {
      problems.push({ path: "key", message: `is ${JSON.stringify(bodyKey)} but the URL names "${key}"; a segment's key cannot change` });
    }
    if (version !== undefined && !(Number.isInteger(version) && (version as number) >= 1)) {
      problems.push({ path: "version", message: "must be an integer from 1" });
    }
    const checked = validateSegment({ ...rest, key });
    if (!checked.ok) problems.push(...checked.problems);
    if (!checked.ok || problems.length > 0) throw badFields(problems, what);
    const { description, conditions } = checked.value;

    return configTransaction(this.database, async (trx) => {
      const current = await this.current(trx, key, expected);
      const next: SegmentWrite = { key, description, conditions, version: current.version + 1 };
      await assertValidAfter(trx, what, (rs) => ({
        ...rs,
        segments: rs.segments.map((s) => (s.key === key ? { ...next, ids: [] } : s)),
      }));
      const at = new Date().toISOString();
      await this.write(trx, next, current, expected, at);
      const record: SegmentRecord = { ...next, idCount: current.idCount, createdAt: current.createdAt, updatedAt: at };
      await recordAudit(trx, { actor, action: "segment.replace", targetType: "segment", targetKey: key, before: current, after: record });
      return record;
    });
  }

  /** Adds and removes ids in one transaction; the segment's version goes up by one. */
  changeIds(key: string, change: IdsChange, expected: number | undefined, actor: string): Promise<IdsChanged> {
    return configTransaction(this.database, async (trx) => {
      const current = await this.current(trx, key, expected);
      // The body never holds an id in both lists (checked by the route), so the order does not matter.
      const removed = await removeIds(trx, this.database.dialect, key, [...new Set(change.remove)]);
      const added = await addIds(trx, this.database.dialect, key, [...new Set(change.add)]);
      const at = new Date().toISOString();
      const version = current.version + 1;
      await this.write(trx, { key, description: current.description, conditions: current.conditions, version }, current, expected, at);
      const idCount = await countIds(trx, key);
      await recordAudit(trx, {
        actor,
        action: "segment.ids",
        targetType: "segment",
        targetKey: key,
        // Counts only: the ids themselves may be 100 000 strings.
        before: { version: current.version, idCount: current.idCount },
        after: { version, idCount, added, removed, requestedAdd: change.add.length, requestedRemove: change.remove.length },
      });
      return { added, removed, idCount, version };
    });
  }

  /** Deletes a segment and its ids; refused (409 IN_USE) while any flag's rules test it. */
  async delete(key: string, expected: number | undefined, actor: string): Promise<void> {
    await configTransaction(this.database, async (trx) => {
      const current = await this.current(trx, key, expected);
      // Archived flags count too: unarchiving one would otherwise fail on the missing segment.
      const users = (await listFlags(trx))
        .filter((flag) => flag.rules.some((rule) => rule.conditions.some((c) => c.op === "inSegment" && c.values.includes(key))))
        .map((flag) => flag.key);
      if (users.length > 0) {
        throw new ConflictError(
          "IN_USE",
          `cannot delete segment "${key}": flags ${users.map((u) => `"${u}"`).join(", ")} use it in their rules`,
          { flags: users },
        );
      }
      if (!(await deleteSegment(trx, key, current.version)))
        throw new VersionConflictError(`segment "${key}"`, expected ?? current.version, current.version + 1);
      await recordAudit(trx, { actor, action: "segment.delete", targetType: "segment", targetKey: key, before: current });
    });
  }

  private async current(trx: Db, key: string, expected: number | undefined): Promise<SegmentRecord> {
    const current = await getSegment(trx, key);
    if (!current) throw new NotFoundError("segment", key);
    if (expected !== undefined && expected !== current.version)
      throw new VersionConflictError(`segment "${key}"`, expected, current.version);
    return current;
  }

  private async write(trx: Db, next: SegmentWrite, current: SegmentRecord, expected: number | undefined, at: string): Promise<void> {
    if (!(await updateSegment(trx, next, current.version, at))) {
      throw new VersionConflictError(`segment "${next.key}"`, expected ?? current.version, current.version + 1);
    }
  }
}
