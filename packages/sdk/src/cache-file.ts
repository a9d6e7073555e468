import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { rename, rm, writeFile } from "node:fs/promises";
import { SdkError } from "./errors.js";

const FORMAT = "darklaunch-sdk-cache/1";

/** What the client keeps of a snapshot: the server's revision and the ruleset as it came. */
export interface SnapshotPayload {
  revision: unknown;
  ruleset: unknown;
}

/**
 * Reads a snapshot saved by `writeCacheFile`. Undefined when there is no file; an `SdkError`
 * (`CACHE_CORRUPT`) when there is one that is not a cache file. The ruleset is validated by the caller.
 */
export function readCacheFile(path: string): SnapshotPayload | undefined | SdkError {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    return new SdkError("CACHE_CORRUPT", `cannot read the cache file ${path}: ${(error as Error).message}`);
  }
  try {
    const parsed = JSON.parse(text) as { format?: unknown; revision?: unknown; ruleset?: unknown };
    if (typeof parsed !== "object" || parsed === null || parsed.format !== FORMAT || typeof parsed.ruleset !== "object") {
      return new SdkError("CACHE_CORRUPT", `the cache file ${path} is not a darklaunch snapshot`);
    }
    return { revision: parsed.revision, ruleset: parsed.ruleset };
  } catch (error) {
    return new SdkError("CACHE_CORRUPT", `the cache file ${path} is not valid JSON: ${(error as Error).message}`);
  }
}

/**
 * Saves a snapshot atomically: written to a temporary file beside the target, then renamed over it,
 * so a crash mid-write leaves the previous cache whole, never half a file.
 */
export async function writeCacheFile(path: string, payload: SnapshotPayload): Promise<void> {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  const body = JSON.stringify({ format: FORMAT, savedAt: new Date().toISOString(), revision: payload.revision, ruleset: payload.ruleset });
  try {
    await writeFile(temporary, body, "utf8");
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
