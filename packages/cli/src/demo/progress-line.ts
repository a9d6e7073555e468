/** Where the demo writes: events as lines on stdout, the live status on stderr. */
export interface ProgressLine {
  /** An event: a line of its own on stdout (the status line is cleared and drawn again under it). */
  event(line: string): void;
  /** A warning on stderr, on a line of its own. */
  warn(line: string): void;
  /** The current status: redrawn in place on a terminal; a plain line every few seconds otherwise. */
  status(text: string): void;
  /** Clears the status line for good. */
  end(): void;
}

const PLAIN_EVERY_MS = 5000;

/**
 * A status line on stderr: on a terminal, one line redrawn in place (cut to the terminal's width);
 * on a pipe or a file, a plain line at most every five seconds, so logs stay readable.
 */
export function progressLine(options: { plain?: boolean } = {}): ProgressLine {
  const out = process.stdout;
  const err = process.stderr;
  const tty = err.isTTY === true && options.plain !== true;
  let shown = "";
  let lastPlain = 0;
  const clear = () => {
    if (tty && shown !== "") err.write("\r\x1b[2K");
  };
  const draw = () => {
    if (tty && shown !== "") err.write(shown.slice(0, Math.max(20, (err.columns ?? 100) - 1)));
  };
  return {
    event(line) {
      clear();
      out.write(`${line}\n`);
      draw();
    },
    warn(line) {
      clear();
      err.write(`${line}\n`);
      draw();
    },
    status(text) {
      if (tty) {
        clear();
        shown = text;
        draw();
      } else if (Date.now() - lastPlain >= PLAIN_EVERY_MS) {
        lastPlain = Date.now();
        err.write(`${text}\n`);
      }
    },
    end() {
      clear();
      shown = "";
    },
  };
}

/** `▕██████░░░░▏`: `done` of `total` as a bar of `width` cells. */
export function bar(done: number, total: number, width = 16): string {
  const filled = total <= 0 ? 0 : Math.max(0, Math.min(width, Math.round((done / total) * width)));
  return `▕${"█".repeat(filled)}${"░".repeat(width - filled)}▏`;
}
