import { readFileSync } from "node:fs";
import { isRecord, type Ruleset } from "@darklaunch/core";
import { readCacheFile, type SnapshotPayload, writeCacheFile } from "./cache-file.js";
import type { SnapshotSource } from "./client-events.js";
import { SdkError } from "./errors.js";

/**
 * What a cold start serves before the server answers, or when it cannot: the cache file if there is
 * a good one, else the bootstrap. Returns the problems met on the way (reported once listeners are
 * attached); `install` returns why a candidate could not be served.
 */
export function loadLastKnownGood(
  cachePath: string | undefined,
  bootstrap: object | string | undefined,
  install: (payload: SnapshotPayload, source: SnapshotSource) => Error | undefined,
): SdkError[] {
  const errors: SdkError[] = [];
  if (cachePath !== undefined) {
    const cached = readCacheFile(cachePath);
    if (cached instanceof SdkError) errors.push(cached);
    else if (cached !== undefined) {
      const error = install(cached, "cache");
      if (!error) return errors;
      errors.push(new SdkError("CACHE_CORRUPT", `the cache file ${cachePath} is ignored: ${error.message}`));
    }
  }
  if (bootstrap === undefined) return errors;
  let payload: SnapshotPayload;
  try {
    const raw: unknown = typeof bootstrap === "string" ? JSON.parse(readFileSync(bootstrap, "utf8")) : bootstrap;
    payload = toPayload(raw);
  } catch (error) {
    errors.push(new SdkError("BOOTSTRAP_INVALID", `cannot read the bootstrap ${String(bootstrap)}: ${(error as Error).message}`));
    return errors;
  }
  const error = install(payload, "bootstrap");
  if (error) errors.push(new SdkError("BOOTSTRAP_INVALID", `the bootstrap is ignored: ${error.message}`));
  return errors;
}

/** A cache file, a server snapshot `{ revision, ruleset }`, or a bare ruleset. */
function toPayload(raw: unknown): SnapshotPayload {
  if (!isRecord(raw)) throw new Error("not a JSON object");
  if (isRecord(raw.ruleset)) return { revision: raw.revision, ruleset: raw.ruleset };
  return { revision: undefined, ruleset: raw };
}

/** Writes server snapshots to the cache file one after another, so an older one never lands last. */
export class CacheWriter {
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly path: string,
    private readonly onError: (error: SdkError) => void,
  ) {}

  save(revision: unknown, ruleset: Ruleset): void {
    this.writing = this.writing
      .then(() => writeCacheFile(this.path, { revision, ruleset }))
      .catch((error: Error) =>
        this.onError(new SdkError("CACHE_WRITE_FAILED", `cannot write the cache file ${this.path}: ${error.message}`)),
      );
  }

  /** Resolves when every save so far is on disk (or has failed and been reported). */
  settled(): Promise<void> {
    return this.writing;
  }
}
