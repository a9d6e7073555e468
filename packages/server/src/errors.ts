import { DarkLaunchError, type Problem, ValidationError } from "@darklaunch/core";

export { DarkLaunchError, ValidationError };

/** 404: the named thing does not exist. */
export class NotFoundError extends DarkLaunchError {
  constructor(what: string, key: string) {
    super("NOT_FOUND", 404, `${what} "${key}" does not exist`);
  }
}

/**
 * 409: the write conflicts with what is stored — a stale version (`VERSION_CONFLICT`), a key that
 * exists (`ALREADY_EXISTS`), or something still in use (`IN_USE`).
 */
export class ConflictError extends DarkLaunchError {
  constructor(code: "VERSION_CONFLICT" | "ALREADY_EXISTS" | "IN_USE", message: string, details?: unknown) {
    super(code, 409, message, details);
  }
}

export class VersionConflictError extends ConflictError {
  constructor(what: string, sent: number, current: number) {
    super("VERSION_CONFLICT", `${what} is at version ${current}, not ${sent}: reload it and apply your change again`, { sent, current });
  }
}

/** 400 for one bad field, with the same `details` shape as a validation error. */
export function badField(path: string, message: string, what = "request"): ValidationError {
  return new ValidationError(what, [{ path, message }]);
}

export function badFields(problems: Problem[], what = "request"): ValidationError {
  return new ValidationError(what, problems);
}

export class UnauthorizedError extends DarkLaunchError {
  constructor(message: string) {
    super("UNAUTHORIZED", 401, message);
  }
}

export class ForbiddenError extends DarkLaunchError {
  constructor(message: string) {
    super("FORBIDDEN", 403, message);
  }
}

/** 503: the store cannot be reached or cannot write; nothing was changed. */
export class StoreUnavailableError extends DarkLaunchError {
  constructor(cause: unknown) {
    super(
      "STORE_UNAVAILABLE",
      503,
      `the store is unavailable: ${(cause as Error)?.message ?? String(cause)}; nothing was changed, retry later`,
    );
  }
}

const STORE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EPIPE",
  "57P01",
  "57P02",
  "57P03",
  "08000",
  "08001",
  "08003",
  "08006",
  "53300",
  "SQLITE_BUSY",
  "SQLITE_LOCKED",
  "SQLITE_IOERR",
  "SQLITE_FULL",
  "SQLITE_READONLY",
  "SQLITE_CANTOPEN",
]);

/** True for errors that mean the database is down, full or locked, rather than a bug. */
export function isStoreUnavailable(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && (STORE_CODES.has(code) || code.startsWith("SQLITE_IOERR"))) return true;
  const message = (error as Error).message ?? "";
  return /Connection terminated|connect ECONNREFUSED|timeout exceeded when trying to connect|database connection is not open|driver has already been destroyed/i.test(
    message,
  );
}
