import axe from "axe-core";
import type { Page } from "playwright-core";
import { expect } from "vitest";

/** axe-core on the page as it is: no serious or critical violation (shared by the browser suites). */
export async function expectAccessible(p: Page, view: string): Promise<void> {
  await p.evaluate(axe.source);
  const violations = await p.evaluate(async () => {
    const result = await (window as unknown as { axe: typeof axe }).axe.run(document, { resultTypes: ["violations"] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(" ")) }));
  });
  const serious = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  expect(serious, `${view}: ${JSON.stringify(serious, null, 2)}`).toEqual([]);
}

/** One API call with a token against the server under test; throws with the answer when it is not 2xx. */
export async function callApi<T>(url: string, method: string, path: string, body: unknown, token: string): Promise<T> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? null : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}
