import { DarkLaunchError } from "@darklaunch/core";

/** What went wrong, as a string a program can branch on. */
export type SdkErrorCode =
  | "INVALID_OPTIONS"
  | "UNAUTHORIZED"
  | "UNREACHABLE"
  | "BAD_RESPONSE"
  | "MALFORMED_UPDATE"
  | "FLAG_SKIPPED"
  | "CACHE_CORRUPT"
  | "CACHE_WRITE_FAILED"
  | "BOOTSTRAP_INVALID"
  | "NO_SNAPSHOT"
  | "TELEMETRY_FAILED"
  | "OBSERVATIONS_FAILED"
  | "METRICS_FAILED"
  | "EXPERIMENT_FAILED"
  | "INVALID_ARGUMENT"
  | "CLOSED";

/**
 * Every error the SDK reports, through `ready()` or the `error` event. `status` is the HTTP status
 * the server answered with, or 0 when there was no answer.
 *
 * @example
 * client.on("error", (error) => { if (error.code === "UNAUTHORIZED") alert(error.message); });
 */
export class SdkError extends DarkLaunchError {
  override readonly name = "SdkError";
  declare readonly code: SdkErrorCode;

  constructor(code: SdkErrorCode, message: string, status = 0, details?: unknown) {
    super(code, status, message, details);
  }
}
