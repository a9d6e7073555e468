import { describe, expect, it } from "vitest";
import { Backoff } from "./backoff.js";
import { SseParser } from "./sse-parser.js";

describe("SseParser", () => {
  it("parses events cut at any point, with CRLF, comments and multi-line data", () => {
    const text = ': hello\r\nevent: put\r\nid: 3\r\ndata: {"a":\r\ndata: 1}\r\n\r\nevent: heartbeat\ndata: {}\n\ndata: plain\n\n';
    for (let cut = 0; cut <= text.length; cut++) {
      const parser = new SseParser();
      const events = [...parser.feed(text.slice(0, cut)), ...parser.feed(text.slice(cut))];
      expect(events).toEqual([
        { event: "put", id: "3", data: '{"a":\n1}' },
        { event: "heartbeat", id: "3", data: "{}" },
        { event: "message", id: "3", data: "plain" },
      ]);
    }
  });

  it("parses an event of many megabytes fed in small chunks", async () => {
    // 8 MB on one data line, in 1 KB chunks as a slow socket delivers it. Rescanning the growing
    // buffer at every chunk (the quadratic parser this replaced) takes minutes here: the yields
    // let the test's timeout end it.
    const payload = JSON.stringify({ revision: 7, ids: Array.from({ length: 500_000 }, (_, i) => `subject-${i}`) });
    expect(payload.length).toBeGreaterThan(8_000_000);
    const text = `event: put\r\nid: 7\r\ndata: ${payload}\r\n\r\nevent: heartbeat\ndata: {}\n\n`;
    const parser = new SseParser();
    const events = [];
    for (let i = 0; i < text.length; i += 1024) {
      events.push(...parser.feed(text.slice(i, i + 1024)));
      if (i % (1024 * 256) === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({ event: "put", id: "7" });
    expect(events[0]?.data).toBe(payload);
    expect(events[1]).toEqual({ event: "heartbeat", id: "7", data: "{}" });
  });

  it("keeps a CR at the end of a chunk across an empty chunk", () => {
    const parser = new SseParser();
    const events = [...parser.feed("data: a\r"), ...parser.feed(""), ...parser.feed("\ndata: b\n\n")];
    expect(events).toEqual([{ event: "message", id: undefined, data: "a\nb" }]);
  });

  it("never dispatches an event without its blank line", () => {
    const parser = new SseParser();
    expect(parser.feed('event: patch\ndata: {"revision":2')).toEqual([]);
  });
});

describe("Backoff", () => {
  it("full jitter under a doubling ceiling, capped, and reset", () => {
    const top = new Backoff(100, 1_000, () => 0.999_999);
    expect([1, 2, 3, 4, 5, 6].map(() => top.next())).toEqual([99, 199, 399, 799, 999, 999]);
    top.reset();
    expect(top.next()).toBe(99);
    const bottom = new Backoff(100, 1_000, () => 0);
    expect(bottom.next()).toBe(0);
  });
});
