import { isRecord, MAX_IDS_PER_CALL, type Problem, validateSegment } from "@darklaunch/core";
import { badFields, ConflictError, NotFoundError, VersionConflictError } from "../errors.js";
import { MAX_SEGMENT_IDS, MAX_SNAPSHOT_ID_CHARACTERS } from "../limits.js";
import type { ConfigTransactions } from "../ruleset/config-transactions.js";
import { assertValidAfter } from "../ruleset/read-ruleset.js";
import type { Stores } from "../store/stores.js";
import type { SegmentRecord, SegmentWrite } from "./segment-store.js";

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

const idsLimitMessage = (count: number) =>
  `holds ${count} ids; at most ${MAX_IDS_PER_CALL} per call, add the rest with POST /api/v1/segments/{key}/ids`;

/**
 * Refuses (400, the transaction rolled back) ids past the limits: a segment's count, and all
 * segments' ids together, which every SDK snapshot and stream carries.
 */
async function assertIdLimits(tx: Stores, key: string, idCount: number): Promise<void> {
  if (idCount > MAX_SEGMENT_IDS) {
    throw badFields([{ path: "ids", message: `segment "${key}" would hold ${idCount} ids; a segment holds at most ${MAX_SEGMENT_IDS}` }]);
  }
  const characters = await tx.segments.idCharacters();
  if (characters > MAX_SNAPSHOT_ID_CHARACTERS) {
    throw badFields([
      {
        path: "ids",
        message: `all segments' ids would total ${characters} characters; at most ${MAX_SNAPSHOT_ID_CHARACTERS} (16 Mi), as every SDK snapshot carries them`,
      },
    ]);
  }
}

/**
 * Segments: every change is one transaction that checks the version, keeps the whole ruleset valid,
 * writes, records the audit entry and bumps the revision — or does none of it.
 */
export class SegmentService {
  /** `stores` are bound to the database (reads); writes run in `config` transactions. */
  constructor(
    private readonly stores: Stores,
    private readonly config: ConfigTransactions,
  ) {}

  list(): Promise<SegmentRecord[]> {
    return this.stores.segments.list();
  }

  async get(key: string): Promise<SegmentRecord> {
    const segment = await this.stores.segments.get(key);
    if (!segment) throw new NotFoundError("segment", key);
    return segment;
  }

  /** One page of ids ordered by subject; `nextCursor` is null on the last page. */
  async ids(key: string, cursor: string | undefined, limit: number): Promise<{ ids: string[]; nextCursor: string | null }> {
    await this.get(key);
    const ids = await this.stores.segments.listIds(key, cursor, limit);
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
    return this.config.run(async (tx) => {
      if (await tx.segments.get(segment.key))
        throw new ConflictError("ALREADY_EXISTS", `segment "${segment.key}" already exists; change it with PUT`);
      await assertValidAfter(tx, what, (rs) => ({ ...rs, segments: [...rs.segments, { ...segment, ids: [] }] }));
      const at = new Date().toISOString();
      await tx.segments.insert(segment, at);
      const idCount = await tx.segments.addIds(segment.key, [...new Set(ids)]);
      await assertIdLimits(tx, segment.key, idCount);
      const record: SegmentRecord = { ...segment, idCount, createdAt: at, updatedAt: at };
      // The record holds the id count, not the ids: an audit row of 100 000 ids helps nobody.
      await tx.audit.record({ actor, action: "segment.create", targetType: "segment", targetKey: segment.key, after: record });
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

    return this.config.run(async (tx) => {
      const current = await this.current(tx, key, expected);
      const next: SegmentWrite = { key, description, conditions, version: current.version + 1 };
      await assertValidAfter(tx, what, (rs) => ({
        ...rs,
        segments: rs.segments.map((s) => (s.key === key ? { ...next, ids: [] } : s)),
      }));
      const at = new Date().toISOString();
      await this.write(tx, next, current, expected, at);
      const record: SegmentRecord = { ...next, idCount: current.idCount, createdAt: current.createdAt, updatedAt: at };
      await tx.audit.record({ actor, action: "segment.replace", targetType: "segment", targetKey: key, before: current, after: record });
      return record;
    });
  }

  /** Adds and removes ids in one transaction; the segment's version goes up by one. */
  changeIds(key: string, change: IdsChange, expected: number | undefined, actor: string): Promise<IdsChanged> {
    return this.config.run(async (tx) => {
      const current = await this.current(tx, key, expected);
      // The body never holds an id in both lists (checked by the route), so the order does not matter.
      const removed = await tx.segments.removeIds(key, [...new Set(change.remove)]);
      const added = await tx.segments.addIds(key, [...new Set(change.add)]);
      const at = new Date().toISOString();
      const version = current.version + 1;
      await this.write(tx, { key, description: current.description, conditions: current.conditions, version }, current, expected, at);
      const idCount = await tx.segments.countIds(key);
      if (added > 0) await assertIdLimits(tx, key, idCount);
      await tx.audit.record({
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
    await this.config.run(async (tx) => {
      const current = await this.current(tx, key, expected);
      // Archived flags count too: unarchiving one would otherwise fail on the missing segment.
      const users = (await tx.flags.list())
        .filter((flag) => flag.rules.some((rule) => rule.conditions.some((c) => c.op === "inSegment" && c.values.includes(key))))
        .map((flag) => flag.key);
      if (users.length > 0) {
        throw new ConflictError(
          "IN_USE",
          `cannot delete segment "${key}": flags ${users.map((u) => `"${u}"`).join(", ")} use it in their rules`,
          { flags: users },
        );
      }
      if (!(await tx.segments.delete(key, current.version)))
        throw new VersionConflictError(`segment "${key}"`, expected ?? current.version, current.version + 1);
      await tx.audit.record({ actor, action: "segment.delete", targetType: "segment", targetKey: key, before: current });
    });
  }

  private async current(tx: Stores, key: string, expected: number | undefined): Promise<SegmentRecord> {
    const current = await tx.segments.get(key);
    if (!current) throw new NotFoundError("segment", key);
    if (expected !== undefined && expected !== current.version)
      throw new VersionConflictError(`segment "${key}"`, expected, current.version);
    return current;
  }

  private async write(tx: Stores, next: SegmentWrite, current: SegmentRecord, expected: number | undefined, at: string): Promise<void> {
    if (!(await tx.segments.update(next, current.version, at))) {
      throw new VersionConflictError(`segment "${next.key}"`, expected ?? current.version, current.version + 1);
    }
  }
}
