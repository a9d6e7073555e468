import { z } from "zod";
import type { Flag, Override, Ruleset, Segment } from "../flag-schema.js";
import { type Validation, zodProblems } from "../validate.js";

/**
 * The SDK stream (`GET /api/v1/sdk/stream`, server-sent events): `put` with the whole snapshot,
 * then `patch` and `delete` as the ruleset changes, and `heartbeat`. Every event carries the
 * ruleset `revision` it brings the client to; the snapshot endpoint answers with a `put` body.
 *
 * The schemas check each message's envelope only. The flags, segments and overrides inside are
 * checked one by one when the client compiles them, so that one item it cannot compile is skipped
 * and reported instead of refusing everything sent with it.
 */
export const SDK_STREAM_EVENTS = ["put", "patch", "delete", "heartbeat"] as const;
export type SdkStreamEventName = (typeof SDK_STREAM_EVENTS)[number];

/** A ruleset revision: bumped by every write, so a larger one is newer. */
export const RevisionSchema = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

const Items = z.array(z.unknown()).optional();

/** `event: put` (and the snapshot endpoint's body): the whole ruleset at a revision. */
export const SdkPutSchema = z.object({
  revision: RevisionSchema,
  ruleset: z.object({ flags: Items, segments: Items, overrides: Items }),
});

/** `event: patch`: changed or added flags and segments, whole; the overrides of each listed flag, replaced. */
export const SdkPatchSchema = z.object({
  revision: RevisionSchema,
  flags: Items,
  segments: Items,
  overrides: z.array(z.object({ flag: z.string(), overrides: z.array(z.unknown()) })).optional(),
});

/** `event: delete`: keys of flags removed or archived (their overrides go with them), and of segments removed. */
export const SdkDeleteSchema = z.object({
  revision: RevisionSchema,
  flags: z.array(z.string()).optional(),
  segments: z.array(z.string()).optional(),
});

/** `event: heartbeat`: the server's current revision, sent every 15 s so a silent stream is known dead. */
export const SdkHeartbeatSchema = z.object({ revision: RevisionSchema });

/** A `put` as the client decodes it: the items inside are still to be checked one by one. */
export type SdkPutMessage = z.output<typeof SdkPutSchema>;
/** A `patch` as the client decodes it: the items inside are still to be checked one by one. */
export type SdkPatchMessage = z.output<typeof SdkPatchSchema>;

/** One decoded stream event. */
export type SdkStreamMessage =
  | { event: "put"; data: SdkPutMessage }
  | { event: "patch"; data: SdkPatchMessage }
  | { event: "delete"; data: SdkDelete }
  | { event: "heartbeat"; data: SdkHeartbeat };

const SCHEMAS = { put: SdkPutSchema, patch: SdkPatchSchema, delete: SdkDeleteSchema, heartbeat: SdkHeartbeatSchema } as const;

/**
 * Checks one stream event's JSON payload against its schema; undefined for an event name this
 * version does not know (a newer server's), which a client skips.
 *
 * @example
 * const decoded = decodeSdkEvent("patch", JSON.parse(event.data));
 * if (decoded && !decoded.ok) console.error(decoded.problems);
 */
export function decodeSdkEvent(event: string, data: unknown): Validation<SdkStreamMessage> | undefined {
  if (!Object.hasOwn(SCHEMAS, event)) return undefined;
  const name = event as SdkStreamEventName;
  const parsed = SCHEMAS[name].safeParse(data);
  if (!parsed.success) return { ok: false, problems: zodProblems(parsed.error, []) };
  return { ok: true, value: { event: name, data: parsed.data } as SdkStreamMessage, problems: [] };
}

/** What a `put` carries, as the server builds it. */
export interface SdkPut {
  revision: number;
  ruleset: Ruleset;
}

/** What a `patch` carries, as the server builds it. */
export interface SdkPatch {
  revision: number;
  flags?: Flag[];
  segments?: Segment[];
  overrides?: { flag: string; overrides: Override[] }[];
}

/** What a `delete` carries. */
export type SdkDelete = z.infer<typeof SdkDeleteSchema>;

/** What a `heartbeat` carries. */
export type SdkHeartbeat = z.infer<typeof SdkHeartbeatSchema>;

/** @internal What the server builds must be what the client accepts: these fail to compile when the two drift. */
type Accepts<Schema extends z.ZodType, Sent extends z.input<Schema>> = Sent;
export type _PutAccepted = Accepts<typeof SdkPutSchema, SdkPut>;
export type _PatchAccepted = Accepts<typeof SdkPatchSchema, SdkPatch>;
