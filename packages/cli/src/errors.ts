/** Exit codes: 0 success, 1 failure (server said no, network, bad file), 2 usage error. */
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** A failure the CLI reports as `error: <message>` followed by one `  path: message` line per detail. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
    readonly details: { path: string; message: string }[] = [],
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** A command line that cannot be right, caught before any request: exit code 2. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT_USAGE);
  }
}
