/** One server-sent event. `event` is "message" when the server named none. */
export interface SseEvent {
  event: string;
  data: string;
  id: string | undefined;
}

/**
 * An incremental parser of `text/event-stream` (the WHATWG rules): feed it text as it arrives, in
 * chunks cut anywhere, and it returns the events completed so far. An event is only dispatched at
 * its blank line, so a stream cut mid-event never yields half an event.
 *
 * Linear in the text fed: each chunk is scanned once, and the pieces of a line still open are kept
 * as a list joined once at its end, so a snapshot of many megabytes on one `data:` line costs no
 * more than its length (rescanning a growing buffer per chunk made it quadratic).
 */
export class SseParser {
  /** The pieces of the line not yet ended, in order. */
  private pending: string[] = [];
  private data: string[] = [];
  private event = "";
  private id: string | undefined;
  private sawCr = false;

  feed(chunk: string): SseEvent[] {
    const events: SseEvent[] = [];
    if (chunk === "") return events;
    let start = 0;
    // A CR that ended the previous chunk already ended its line; a LF right after it is the same break.
    if (this.sawCr && chunk.charCodeAt(0) === 10) start = 1;
    this.sawCr = false;
    for (let i = start; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      let line = chunk.slice(start, i);
      if (this.pending.length > 0) {
        this.pending.push(line);
        line = this.pending.join("");
        this.pending = [];
      }
      if (c === 13) {
        if (i + 1 < chunk.length) {
          if (chunk.charCodeAt(i + 1) === 10) i++;
        } else {
          this.sawCr = true;
        }
      }
      start = i + 1;
      this.line(line, events);
    }
    if (start < chunk.length) this.pending.push(start === 0 ? chunk : chunk.slice(start));
    return events;
  }

  private line(line: string, events: SseEvent[]): void {
    if (line === "") {
      if (this.data.length > 0) events.push({ event: this.event || "message", data: this.data.join("\n"), id: this.id });
      this.data = [];
      this.event = "";
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "data") this.data.push(value);
    else if (field === "event") this.event = value;
    else if (field === "id" && !value.includes("\0")) this.id = value;
  }
}
