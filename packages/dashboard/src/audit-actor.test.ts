import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { Actor } from "./views/audit-view.js";

describe("audit actor", () => {
  it("tells a ramp's automatic change apart from a token's by a sign and words, not colour", () => {
    const ramp = renderToStaticMarkup(createElement(Actor, { actor: "ramp:r-42" }));
    expect(ramp).toContain("⟳");
    expect(ramp).toContain("ramp <code>r-42</code>");
    expect(ramp).toContain('title="ramp:r-42"');
    expect(renderToStaticMarkup(createElement(Actor, { actor: "alice" }))).toBe("<span>alice</span>");
  });
});
