import { describe, expect, it } from "vitest";
import { readSubject } from "./read-subject.js";

describe("readSubject", () => {
  it("reads a header, a cookie or a query parameter", () => {
    expect(readSubject("header:x-user-id", { "x-user-id": " u1 " }, "")).toBe("u1");
    expect(readSubject("cookie:uid", { cookie: "a=1; uid=u%202; b=3" }, "")).toBe("u 2");
    expect(readSubject("query:user", {}, "page=2&user=u3")).toBe("u3");
  });

  it("is undefined when the request carries none (the proxy then picks a random position)", () => {
    expect(readSubject(undefined, { "x-user-id": "u1" }, "")).toBeUndefined();
    expect(readSubject("header:x-user-id", {}, "")).toBeUndefined();
    expect(readSubject("header:x-user-id", { "x-user-id": "  " }, "")).toBeUndefined();
    expect(readSubject("cookie:uid", { cookie: "uidx=1" }, "")).toBeUndefined();
    expect(readSubject("query:user", {}, "")).toBeUndefined();
  });
});
