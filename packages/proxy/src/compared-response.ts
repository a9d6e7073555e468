import type { ComparedResponse } from "@darklaunch/core";

/**
 * A backend's response as the comparison takes it. Its header record (lower-case names, repeated
 * fields as arrays) is built on first read: with the default options a comparison of byte-equal
 * bodies never reads it, and building it from raw fields cost each mirrored request about as much
 * as sending the mirror.
 */
export class RelayedResponse implements ComparedResponse {
  private record: Record<string, string | string[]> | undefined;

  /** `flat`: the response's fields as relayed, `[name, value, …]` in their own case, hop-by-hop fields left out. */
  constructor(
    readonly status: number,
    private readonly flat: readonly string[],
    readonly body: Uint8Array,
  ) {}

  get headers(): Record<string, string | string[]> {
    this.record ??= headerRecord(this.flat);
    return this.record;
  }
}

function headerRecord(flat: readonly string[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const name = (flat[i] as string).toLowerCase();
    const value = flat[i + 1] as string;
    const had = out[name];
    if (had === undefined) out[name] = value;
    else if (Array.isArray(had)) had.push(value);
    else out[name] = [had, value];
  }
  return out;
}
