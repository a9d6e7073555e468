/** One thing wrong with an input, at a path such as `rules[2].conditions[0].op`. */
export interface Problem {
  path: string;
  message: string;
}

/**
 * The base of every error darklaunch raises on purpose: a stable string `code` a program can
 * branch on, the HTTP `status` that fits it, a message a person can act on, and optional details.
 *
 * @example
 * throw new DarkLaunchError("FLAG_NOT_FOUND", 404, 'flag "checkout-v2" does not exist');
 */
export class DarkLaunchError extends Error {
  override readonly name: string = "DarkLaunchError";

  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }

  toJSON(): { code: string; message: string; details?: unknown } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

/** Input that does not validate; `details` lists every problem with its path. */
export class ValidationError extends DarkLaunchError {
  override readonly name = "ValidationError";

  constructor(
    what: string,
    readonly problems: Problem[],
  ) {
    super("VALIDATION_FAILED", 400, `${what} is invalid: ${summarize(problems)}`, problems);
  }
}

function summarize(problems: Problem[]): string {
  const shown = problems.slice(0, 5).map(formatProblem).join("; ");
  return problems.length > 5 ? `${shown}; and ${problems.length - 5} more` : shown;
}

/** `rules[2].conditions[0].op: unknown operator "gte "` (or just the message at the root). */
export function formatProblem(problem: Problem): string {
  return problem.path === "" ? problem.message : `${problem.path}: ${problem.message}`;
}
