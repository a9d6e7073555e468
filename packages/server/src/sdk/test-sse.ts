/** One server-sent event as read by the tests. */
export interface SseEvent {
  event: string;
  id: string | undefined;
  // biome-ignore lint/suspicious/noExplicitAny: each test asserts on the JSON it expects
  data: any;
}

/**
 * A stream read with plain `fetch` and a small line parser (no EventSource), as an SDK would.
 * `next(match)` skips events until one matches; `ended` resolves when the server closes the stream.
 */
export interface SseReader {
  status: number;
  headers: Headers;
  next(match?: (event: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent>;
  ended: Promise<void>;
  close(): void;
}

export async function openSse(url: string, token: string): Promise<SseReader> {
  const abort = new AbortController();
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}`, accept: "text/event-stream" }, signal: abort.signal });
  const queue: SseEvent[] = [];
  let wake: (() => void) | undefined;
  let done = false;
  const notify = () => {
    wake?.();
    wake = undefined;
  };

  const ended = (async () => {
    if (!response.body) return;
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for await (const chunk of response.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let end = buffer.indexOf("\n\n");
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf("\n\n");
          let event = "message";
          let id: string | undefined;
          const data: string[] = [];
          for (const line of block.split("\n")) {
            if (line.startsWith(":")) continue;
            const colon = line.indexOf(":");
            const field = colon < 0 ? line : line.slice(0, colon);
            const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
            if (field === "event") event = value;
            else if (field === "id") id = value;
            else if (field === "data") data.push(value);
          }
          const text = data.join("\n");
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // Not JSON: keep the text.
          }
          queue.push({ event, id, data: parsed });
          notify();
        }
      }
    } catch {
      // Aborted by close(), or cut by the server: both end the stream.
    } finally {
      done = true;
      notify();
    }
  })();

  return {
    status: response.status,
    headers: response.headers,
    ended,
    close: () => abort.abort(),
    async next(match = () => true, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        while (queue.length > 0) {
          const event = queue.shift() as SseEvent;
          if (match(event)) return event;
        }
        if (done) throw new Error("the stream ended before the expected event");
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no matching event within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    },
  };
}
