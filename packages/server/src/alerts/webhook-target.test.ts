import { TestReceiver } from "@darklaunch/testkit";
import { describe, expect, it } from "vitest";
import { sendWebhook } from "./webhook-sender.js";
import { checkWebhookTarget, isPrivateAddress, publicOnlyLookup, webhookUrlProblem } from "./webhook-target.js";

describe("webhook targets", () => {
  it.for([
    "127.0.0.1",
    "127.8.9.10",
    "0.0.0.0",
    "10.0.0.1",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "224.0.0.1",
    "255.255.255.255",
    "::1",
    "::",
    "fe80::1",
    "fd00::1",
    "fc00::1",
    "ff02::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "not-an-address",
  ])("%s is private", (address) => {
    expect(isPrivateAddress(address)).toBe(true);
  });

  it.for(["1.1.1.1", "8.8.8.8", "172.32.0.1", "192.169.0.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"])("%s is public", (address) => {
    expect(isPrivateAddress(address)).toBe(false);
  });

  it("checks the scheme and credentials before anything is resolved", () => {
    expect(webhookUrlProblem("https://hooks.example.com/x")).toBeUndefined();
    expect(webhookUrlProblem("file:///etc/passwd")).toMatch(/http or https, not file/);
    expect(webhookUrlProblem("gopher://x")).toMatch(/not gopher/);
  });

  it("refuses a host name that resolves to a private address, and allows it with the option", async () => {
    await expect(checkWebhookTarget("http://localhost:9/x", false)).rejects.toThrow(/private, loopback or link-local/);
    await expect(checkWebhookTarget("http://localhost:9/x", true)).resolves.toBeUndefined();
  });

  it("refuses private addresses again at connect time (DNS may change after the check)", async () => {
    const refused = await new Promise<NodeJS.ErrnoException | null>((resolve) =>
      publicOnlyLookup("localhost", { all: false }, (error) => resolve(error)),
    );
    expect(refused?.code).toBe("EPRIVATETARGET");

    const receiver = await TestReceiver.start();
    try {
      const port = new URL(receiver.url).port;
      const byName = await sendWebhook(
        { url: `http://localhost:${port}/x`, body: "{}", headers: {} },
        { timeoutMs: 5_000, allowPrivate: false },
      );
      expect(byName).toMatchObject({ ok: false, retry: false, statusCode: null, error: expect.stringMatching(/EPRIVATETARGET/) });
      const literal = await sendWebhook({ url: `${receiver.url}/x`, body: "{}", headers: {} }, { timeoutMs: 5_000, allowPrivate: false });
      expect(literal).toMatchObject({ ok: false, retry: false, error: expect.stringMatching(/private address/) });
      expect(receiver.received).toHaveLength(0);
      const allowed = await sendWebhook({ url: `${receiver.url}/x`, body: "{}", headers: {} }, { timeoutMs: 5_000, allowPrivate: true });
      expect(allowed).toMatchObject({ ok: true, statusCode: 200 });
      expect(receiver.received).toHaveLength(1);
    } finally {
      await receiver.close();
    }
  });
});
