import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { type Alert, SIGNATURE_HEADER, verifySignature } from "@darklaunch/server";

/** One webhook as the receiver took it: the alert, and whether its signature checked out. */
export interface ReceivedAlert {
  alert: Alert;
  deliveryId: string;
  verified: boolean;
}

export interface WebhookReceiver {
  /** Where alerts are posted: the destination's URL. */
  readonly url: string;
  /** The destination's signing secret, known once the destination is created. */
  setSecret(secret: string): void;
  close(): Promise<void>;
}

/**
 * The demo's alert destination: a webhook endpoint on 127.0.0.1 that checks each delivery's
 * `x-darklaunch-signature` (HMAC-SHA256 of timestamp and raw body) the way a real receiver must,
 * answers 200 only to a valid one (401 makes the server retry), and hands the alert on.
 */
export async function startWebhookReceiver(onAlert: (received: ReceivedAlert) => void): Promise<WebhookReceiver> {
  let secret: string | undefined;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const header = request.headers[SIGNATURE_HEADER];
      const verified = secret !== undefined && typeof header === "string" && verifySignature(secret, body, header);
      let payload: { id?: unknown; alert?: Alert } | undefined;
      try {
        payload = JSON.parse(body) as { id?: unknown; alert?: Alert };
      } catch {
        payload = undefined;
      }
      response.writeHead(verified ? 200 : 401, { "content-type": "text/plain" }).end(verified ? "ok" : "bad signature");
      if (payload?.alert !== undefined) onAlert({ alert: payload.alert, deliveryId: String(payload.id ?? ""), verified });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/alerts`,
    setSecret(value) {
      secret = value;
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
