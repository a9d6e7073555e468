import { describe, expect, it } from "vitest";
import { anonymousSubject, newRequestId } from "./request-ids.js";

describe("request ids", () => {
  it("are UUID-shaped and distinct", () => {
    const ids = Array.from({ length: 10_000 }, newRequestId);
    for (const id of ids.slice(0, 100)) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("anonymous subjects are distinct", () => {
    const subjects = Array.from({ length: 10_000 }, anonymousSubject);
    expect(new Set(subjects).size).toBe(subjects.length);
  });
});
