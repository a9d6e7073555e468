import { describe, expect, it } from "vitest";
import { ApiError, createApi, type EntityTag, NotModified } from "./api.js";
import { nextPollState, type PollState } from "./use-poll.js";

/** A fetch that answers from a list and records the headers it was sent. */
function fakeFetch(answers: Response[]) {
  const sent: Headers[] = [];
  const impl = (async (_url: string, init: RequestInit) => {
    sent.push(new Headers(init.headers));
    const next = answers.shift();
    if (next === undefined) throw new Error("no more answers");
    return next;
  }) as unknown as typeof fetch;
  return { impl, sent };
}

describe("conditional reads", () => {
  it("sends the last ETag as If-None-Match, stores the new one, and turns 304 into NotModified", async () => {
    const { impl, sent } = fakeFetch([
      new Response('{"flags":[]}', { status: 200, headers: { etag: 'W/"a"' } }),
      new Response(null, { status: 304, headers: { etag: 'W/"a"' } }),
      new Response('{"flags":[1]}', { status: 200, headers: { etag: 'W/"b"' } }),
    ]);
    const api = createApi("dl_read_x", impl);
    const tag: EntityTag = { value: undefined };
    await expect(api.request("GET", "/api/v1/flags", undefined, tag)).resolves.toEqual({ flags: [] });
    expect(sent[0]?.has("if-none-match")).toBe(false);
    expect(tag.value).toBe('W/"a"');
    await expect(api.request("GET", "/api/v1/flags", undefined, tag)).rejects.toBeInstanceOf(NotModified);
    expect(sent[1]?.get("if-none-match")).toBe('W/"a"');
    await expect(api.request("GET", "/api/v1/flags", undefined, tag)).resolves.toEqual({ flags: [1] });
    expect(tag.value).toBe('W/"b"');
  });

  it("without a tag, sends no If-None-Match and keeps a failed answer an ApiError with the server's words", async () => {
    const { impl, sent } = fakeFetch([
      new Response('{"code":"UNAUTHORIZED","message":"unknown token"}', { status: 401, headers: { etag: 'W/"z"' } }),
    ]);
    const tag: EntityTag = { value: undefined };
    const error = await createApi("dl_read_x", impl)
      .request("GET", "/api/v1/flags", undefined, tag)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).message).toBe("unknown token");
    expect(sent[0]?.has("if-none-match")).toBe(false);
    expect(tag.value).toBeUndefined();
  });
});

describe("nextPollState", () => {
  const shown: PollState<string[]> = { data: ["a"], error: undefined, loading: false };

  it("keeps the same state (no re-render) on 304 and on an unchanged answer", () => {
    expect(nextPollState(shown, { ok: false, error: new NotModified("/x") })).toBe(shown);
    expect(nextPollState(shown, { ok: true, data: ["a"], text: '["a"]', lastText: '["a"]' })).toBe(shown);
  });

  it("clears an earlier error on 304 but keeps the data", () => {
    const failed = { ...shown, error: new Error("down") };
    expect(nextPollState(failed, { ok: false, error: new NotModified("/x") })).toEqual(shown);
  });

  it("shows a changed answer, and keeps the last data beside a new error", () => {
    expect(nextPollState(shown, { ok: true, data: ["b"], text: '["b"]', lastText: '["a"]' }).data).toEqual(["b"]);
    const error = new ApiError(500, "INTERNAL", "boom");
    expect(nextPollState(shown, { ok: false, error })).toEqual({ data: ["a"], error, loading: false });
  });
});
