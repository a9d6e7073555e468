import { describe, expect, it } from "vitest";
import { currentMessage, flagMark, isStaleMessage, rampMark } from "./action-message.js";

const ramp = (id: string, step: number, startedAt: string, updatedAt: string, status = "running") =>
  ({ id, status, state: { phase: "serve", step }, startedAt, updatedAt }) as unknown as Parameters<typeof rampMark>[0];

describe("action messages", () => {
  const started = rampMark(ramp("r2", 0, "2026-01-01T10:00:00Z", "2026-01-01T10:00:00Z"));

  it("keep 'Ramp started.' while the page still shows the ramp before it, or the same step", () => {
    // Before the reload: the page still holds the previous ramp (or none).
    expect(isStaleMessage(started, rampMark(ramp("r1", 3, "2026-01-01T09:00:00Z", "2026-01-01T09:59:00Z", "completed")))).toBe(false);
    expect(isStaleMessage(started, rampMark(null))).toBe(false);
    // A verdict or lease update of the same step is no change of what the message says.
    expect(isStaleMessage(started, rampMark(ramp("r2", 0, "2026-01-01T10:00:00Z", "2026-01-01T10:01:00Z")))).toBe(false);
  });

  it("drop it once the step advanced, the ramp paused, or a newer ramp started", () => {
    expect(isStaleMessage(started, rampMark(ramp("r2", 1, "2026-01-01T10:00:00Z", "2026-01-01T10:02:00Z")))).toBe(true);
    expect(isStaleMessage(started, rampMark(ramp("r2", 0, "2026-01-01T10:00:00Z", "2026-01-01T10:02:00Z", "paused")))).toBe(true);
    expect(isStaleMessage(started, rampMark(ramp("r3", 0, "2026-01-01T11:00:00Z", "2026-01-01T11:00:00Z")))).toBe(true);
  });

  it("drop a flag message once the flag has a newer version", () => {
    const message = { kind: "ok" as const, text: "Rolled out to 5%.", about: flagMark({ version: 4 }) };
    expect(currentMessage(message, flagMark({ version: 3 }))).toBe(message);
    expect(currentMessage(message, flagMark({ version: 4 }))).toBe(message);
    expect(currentMessage(message, flagMark({ version: 5 }))).toBeNull();
    expect(currentMessage(null, flagMark({ version: 5 }))).toBeNull();
  });
});
