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
