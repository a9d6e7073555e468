import { verifySignature } from "@darklaunch/server";
import { TestReceiver } from "@darklaunch/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, startServer, type TestServer } from "./test-cli.js";

let srv: TestServer;
let receiver: TestReceiver;
const cli = (args: string[]) => runCli(args, { url: srv.url });

beforeAll(async () => {
  receiver = await TestReceiver.start();
  // The receiver is on 127.0.0.1, which a server refuses without the allow option.
  srv = await startServer({ allowPrivateWebhookTargets: true });
});
afterAll(async () => {
  await srv?.close();
  await receiver?.close();
});

describe("alerts", () => {
  // Eleven runs of the real binary in a row: slow on a loaded machine, so more time than the default.
  it("adds, lists, tests, shows deliveries and removes a destination", { timeout: 90_000 }, async () => {
    const added = await cli(["alerts", "add", `${receiver.url}/cli`, "--name", "ops", "--severity", "page", "--format", "slack"]);
    expect(added.stderr).toBe("");
    expect(added.stdout).toMatch(/^added alert destination ops \(whd_[0-9a-f]{16}\)/);
    expect(added.stdout).toMatch(/severities:\s+page\n/);
    const id = /\((whd_[0-9a-f]{16})\)/.exec(added.stdout)?.[1] as string;
    const secret = /secret:\s+(whsec_\S+)/.exec(added.stdout)?.[1] as string;
    expect(secret).toBeDefined();

    const listed = await cli(["alerts", "list"]);
    expect(listed.stdout).toMatch(new RegExp(`${id}\\s+ops\\s+\\*\\s+page\\s+slack\\s+${receiver.url}/cli`));
    expect(listed.stdout).not.toContain(secret);

    const tested = await cli(["alerts", "test", id]);
    expect(tested.code).toBe(0);
    expect(tested.stdout).toMatch(new RegExp(`^test alert dlv_[0-9a-f]{16} to ${id}: delivered, HTTP 200`));
    const [got] = receiver.at("/cli");
    expect(verifySignature(secret, got!.body, String(got!.headers["x-darklaunch-signature"]))).toBe(true);
    expect(JSON.parse(got!.body).text).toContain("[PAGE] darklaunch: test TEST");

    receiver.script("/cli", [500]);
    const failed = await cli(["alerts", "test", id]);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain("failed, HTTP 500 (answered 500)");
    expect(failed.stderr).toContain("error: the destination did not accept the test alert: HTTP 500");

    const log = JSON.parse((await cli(["alerts", "deliveries", "--destination", id, "--json"])).stdout);
    expect(log.deliveries.map((d: { status: string }) => d.status)).toEqual(["failed", "delivered"]);
    expect(log.deliveries[0].log).toMatchObject([{ attempt: 1, statusCode: 500 }]);
    const table = await cli(["alerts", "deliveries", "--limit", "1"]);
    expect(table.stdout).toMatch(/\bTIME\s+ID\s+DESTINATION/);
    expect(table.stdout).toMatch(/test\s+-\s+page\s+failed\s+1\s+HTTP 500/);

    expect((await cli(["alerts", "remove", id])).stdout).toBe(`removed alert destination ops (${id})\n`);
    expect((await cli(["alerts", "list"])).stdout).toBe("no alert destinations\n");
    const again = await cli(["alerts", "remove", id]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`alert destination "${id}" does not exist`);
  });

  it("prints the field the server refused, and refuses a bad option before any request", async () => {
    const bad = await cli(["alerts", "add", "ftp://example.com/hook", "--severity", "urgent"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/\n {2}url: must use http or https, not ftp/);
    expect(bad.stderr).toMatch(/\n {2}severities\[0\]: must be one of page, ticket/);
    const usage = await cli(["alerts", "add", "https://example.com/", "--format", "teams"]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("Allowed choices are json, slack");
  });
});
