/**
 * Whether the two sides of one experiment run settled within two turns of the event loop of each
 * other. On the one thread the side whose callback runs second waits for the first side's
 * callbacks and, when the first is the served control, for the caller's work on its answer: time
 * that is the loop's, not the side's, and that falls on the candidate more often than on the
 * control (measured: identical paths ~54 % "slower", 37 vs 14 on a saturated machine). Answers that
 * were ready in the same turn, or that came while that turn ran (seen in the next one), are in an
 * order the loop chose, so the pair is a latency tie; answers further apart keep their order.
 * Only asynchronous sides take part: a synchronous side is timed exactly around its call.
 */
export interface SettleTurns {
  /** Asynchronous sides settled so far (0, 1, 2). */
  settled: number;
  /** The first side's turn, or the one after it, is still running. */
  open: boolean;
  /** Both sides settled while `open`. */
  tied: boolean;
}

export function settleTurns(): SettleTurns {
  return { settled: 0, open: false, tied: false };
}

/** Notes that an asynchronous side settled now. */
export function settle(turns: SettleTurns): void {
  turns.settled++;
  if (turns.settled === 1) {
    turns.open = true;
    // Two immediates: the first runs after this turn's callbacks, the second after the next poll.
    setImmediate(closeAfterNextTurn, turns);
  } else if (turns.open) {
    turns.tied = true;
  }
}

function closeAfterNextTurn(turns: SettleTurns): void {
  setImmediate(close, turns);
}

function close(turns: SettleTurns): void {
  turns.open = false;
}
