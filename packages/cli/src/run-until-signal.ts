import { print } from "./output.js";

/**
 * Keeps a long-running command (`serve`, `proxy`) alive until SIGINT or SIGTERM, then runs its
 * graceful `close` and resolves. A second signal exits at once with 1; a failing close is reported
 * and sets exit code 1.
 *
 * @example
 * await runUntilSignal("server", () => server.close(), "store closed");
 */
export function runUntilSignal(what: string, close: () => Promise<void>, stoppedNote: string): Promise<void> {
  return new Promise<void>((done) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        print(`${signal} again: exiting now`);
        process.exit(1);
      }
      stopping = true;
      print(`${signal}: stopping; letting in-flight requests finish…`);
      close().then(
        () => {
          print(`stopped; ${stoppedNote}`);
          done();
        },
        (error: unknown) => {
          process.stderr.write(`error: closing the ${what} failed: ${(error as Error).message}\n`);
          process.exitCode = 1;
          done();
        },
      );
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}
