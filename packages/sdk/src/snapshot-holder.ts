import type { Flag, Override, Ruleset, SdkDelete, SdkPatchMessage, SdkPutMessage, Segment, Snapshot } from "@darklaunch/core";
import type { SnapshotPayload } from "./cache-file.js";
import type { ChangeEvent, SnapshotSource } from "./client-events.js";
import { SdkError } from "./errors.js";
import { compileRuleset, type RawRuleset } from "./ruleset-compiler.js";
import { changedFlags } from "./ruleset-diff.js";

/** What the holder tells its client. */
export interface SnapshotHolderEvents {
  /** A new snapshot is being served (before `change` is told). */
  installed(snapshot: Snapshot): void;
  change(event: ChangeEvent): void;
  error(error: SdkError): void;
  /** A server snapshot was installed: what the cache file should now hold. */
  served(revision: unknown, ruleset: Ruleset): void;
}

/**
 * The snapshot being served and how it changes: whole snapshots are compiled and installed,
 * `patch` and `delete` are applied to a copy of the ruleset that is then compiled, so a reader
 * always sees one whole ruleset. Flags that cannot be compiled are left out and reported; their
 * evaluations return the caller's default (see `skippedFlags`). Updates not newer than the
 * snapshot are ignored and counted.
 */
export class SnapshotHolder {
  /** Read on every evaluation: a plain field, swapped whole. */
  snapshot: Snapshot | undefined;
  revision: unknown;
  source: SnapshotSource | undefined;
  /** Flags of the snapshot left out because they cannot be compiled: key → why. */
  skippedFlags: ReadonlyMap<string, string> = new Map();
  /** Updates ignored because their revision was not newer than the snapshot's. */
  staleUpdates = 0;
  private reportedOther = new Set<string>();
  /** Items left out of the snapshot, as they came: compiled again with every update. */
  private leftOut: RawRuleset = { flags: [], segments: [], overrides: [] };
  /** The revision of the last `patch` applied: its `delete` (same revision, sent after) still applies. */
  private patchedRevision: number | undefined;

  constructor(
    private readonly now: () => number,
    private readonly events: SnapshotHolderEvents,
  ) {}

  /** Compiles and serves a whole snapshot; returns the reason instead when it cannot be served at all. */
  install(payload: SnapshotPayload, source: SnapshotSource): Error | undefined {
    this.patchedRevision = undefined;
    return this.serve(payload.revision, payload.ruleset, source);
  }

  /** A `put` from the stream or a polled snapshot. */
  put(message: SdkPutMessage): void {
    const error = this.install(message, "server");
    if (error) this.report(`a snapshot was rejected, the previous one stays: ${error.message}`);
  }

  patch(message: SdkPatchMessage): void {
    const current = this.current("patch", message.revision);
    if (!current) return;
    const { flags, segments } = current;
    let overrides = current.overrides;
    for (const flag of message.flags ?? []) replaceByKey(flags, flag);
    for (const segment of message.segments ?? []) replaceByKey(segments, segment);
    for (const entry of message.overrides ?? []) {
      overrides = [...overrides.filter((o) => (o as Partial<Override> | null)?.flag !== entry.flag), ...entry.overrides];
    }
    this.update("patch", message.revision, { flags, segments, overrides });
    this.patchedRevision = message.revision;
  }

  delete(message: SdkDelete): void {
    const current = this.current("delete", message.revision);
    if (!current) return;
    const flags = new Set<unknown>(message.flags ?? []);
    const segments = new Set<unknown>(message.segments ?? []);
    const ruleset: RawRuleset = {
      flags: current.flags.filter((f) => !flags.has((f as Partial<Flag> | null)?.key)),
      overrides: current.overrides.filter((o) => !flags.has((o as Partial<Override> | null)?.flag)),
      segments: current.segments.filter((s) => !segments.has((s as Partial<Segment> | null)?.key)),
    };
    this.update("delete", message.revision, ruleset);
    this.patchedRevision = undefined;
  }

  /**
   * What an update applies to — the ruleset served plus the items left out of it, which are
   * compiled again — or undefined when the update is to be ignored.
   */
  private current(kind: "patch" | "delete", revision: number): RawRuleset | undefined {
    const ruleset = this.snapshot?.ruleset;
    if (ruleset === undefined) {
      this.report(`a ${kind} arrived before any snapshot; ignored`);
      return undefined;
    }
    // A late event from before the current snapshot would undo newer changes. The server sends a
    // revision's patch before its delete, so that delete is the one update that may repeat it.
    const served = this.revision;
    const stale =
      typeof served !== "number"
        ? false
        : revision < served || (revision === served && !(kind === "delete" && this.patchedRevision === revision));
    if (stale) {
      this.staleUpdates++;
      return undefined;
    }
    const leftOut = this.leftOut;
    return {
      flags: [...ruleset.flags, ...leftOut.flags],
      segments: [...ruleset.segments, ...leftOut.segments],
      overrides: [...ruleset.overrides, ...leftOut.overrides],
    };
  }

  /** Compiles an edited copy: on any problem with the whole, the snapshot stays. */
  private update(kind: string, revision: number, ruleset: RawRuleset): void {
    const error = this.serve(revision, ruleset, "server");
    if (error) this.report(`a ${kind} was rejected, the previous snapshot stays: ${error.message}`);
  }

  private serve(revision: unknown, raw: unknown, source: SnapshotSource): Error | undefined {
    let compiled: ReturnType<typeof compileRuleset>;
    try {
      compiled = compileRuleset(raw, this.now);
    } catch (error) {
      return error as Error;
    }
    const previous = this.snapshot;
    const skipped = compiled.skippedFlags;
    const newlySkipped = [...compiled.skippedFlags].filter(([key, why]) => this.skippedFlags.get(key) !== why);
    const unskipped = [...this.skippedFlags.keys()].filter((key) => !skipped.has(key));
    this.snapshot = compiled.snapshot;
    this.revision = revision;
    this.source = source;
    this.skippedFlags = skipped;
    this.leftOut = compiled.leftOut;
    this.events.installed(compiled.snapshot);
    if (source === "server") this.events.served(revision, compiled.snapshot.ruleset);
    for (const [key, why] of newlySkipped) {
      this.events.error(
        new SdkError("FLAG_SKIPPED", `flag "${key}" cannot be compiled and serves the caller's default: ${why}`, 0, { flag: key }),
      );
    }
    // Left-out items are compiled again with every update: each is reported once, not every time.
    for (const why of compiled.skippedOther) if (!this.reportedOther.has(why)) this.report(`left out of the snapshot: ${why}`);
    this.reportedOther = new Set(compiled.skippedOther);
    if (previous !== undefined) {
      const keys = new Set(changedFlags(previous.ruleset, compiled.snapshot.ruleset));
      for (const [key] of newlySkipped) keys.add(key);
      for (const key of unskipped) keys.add(key);
      if (keys.size > 0) this.events.change({ keys: [...keys].sort(), revision });
    }
    return undefined;
  }

  private report(message: string): void {
    this.events.error(new SdkError("MALFORMED_UPDATE", message));
  }
}

/** Replaces the item with the same key, or appends it. */
function replaceByKey(items: unknown[], item: unknown): void {
  const key = (item as Partial<Flag | Segment> | null)?.key;
  const index = typeof key === "string" ? items.findIndex((existing) => (existing as Partial<Flag> | null)?.key === key) : -1;
  if (index === -1) items.push(item);
  else items[index] = item;
}
