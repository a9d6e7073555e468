import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { renderCliReference } from "./cli-reference.js";
import { createProgram } from "./program.js";

describe("docs/cli.md", () => {
  it("is what the command definitions say (run `npm run docs:cli` after changing a command)", () => {
    const committed = readFileSync(new URL("../../../docs/cli.md", import.meta.url), "utf8");
    expect(committed).toBe(renderCliReference(createProgram()));
  });

  it("lists every command and option", () => {
    const text = renderCliReference(createProgram());
    const walk = (command: ReturnType<typeof createProgram>, path: string[]): void => {
      for (const sub of command.commands) {
        const subPath = [...path, sub.name()];
        expect(text).toContain(`## ${subPath.join(" ")}\n`);
        for (const option of sub.options) if (!option.hidden) expect(text).toContain(`\`${option.flags}\``);
        walk(sub, subPath);
      }
    };
    walk(createProgram(), []);
  });
});
