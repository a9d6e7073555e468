import { describe, expect, it } from "vitest";
import { hasDotSegment } from "./dot-segments.js";

describe("hasDotSegment", () => {
  it("finds dot segments however they are written", () => {
    for (const path of [
      "/..",
      "/a/./b",
      "/a/%2E%2e/b",
      "/a/%2e%2e%2fb",
      "/a/..%5cb",
      "/a/..\\b",
      "/a\\..\\b",
      "/a/..;/b",
      "/a/..;jsessionid=1/b",
      "/a/%252e%252e/b",
      "/a/%25252e%25252e%25252fb",
    ])
      expect(hasDotSegment(path), path).toBe(true);
  });

  it("lets dots inside names, malformed escapes and plain paths through", () => {
    for (const path of ["/", "/a/b", "/v1.2/file.json", "/a/..b/c", "/a/b..", "/a/%zz/b", "/a/%2e%2e.x;v=1", "/a/.well-known/x"])
      expect(hasDotSegment(path), path).toBe(false);
  });
});
