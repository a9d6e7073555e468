import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { DarkLaunchClient } from "@darklaunch/sdk";
import { type CartLine, legacyPrice, newPrice, type Quote } from "./prices.js";

/** The flags this service reads; create them with `npx darklaunch enable <flag> --percentage P`. */
export const FLAGS = {
  /** A feature gate: the subjects it includes are offered express checkout. */
  express: "express-checkout",
  /** An experiment: the subjects it includes also run the new price function, on the side. */
  pricing: "pricing-v2",
} as const;

export interface CheckoutService {
  url: string;
  close(): Promise<void>;
}

interface QuoteRequest {
  user: string;
  lines: CartLine[];
}

/**
 * `POST /quote` with `{ "user": "u42", "lines": [{ "sku": "tea", "unitCents": 350, "quantity": 3 }] }`
 * answers the legacy price — always — and whether the user is offered express checkout. For users
 * in `pricing-v2`, `experiment()` also runs the new price function beside it and reports how the
 * two compare (latency, errors, differing fields) to the control plane; the user never sees it.
 *
 * @example
 * const service = await startCheckoutService(client, { port: 3000 });
 * await fetch(`${service.url}/quote`, { method: "POST", body: JSON.stringify(cart) });
 */
export async function startCheckoutService(
  client: DarkLaunchClient,
  { port = 0, host = "127.0.0.1" }: { port?: number; host?: string } = {},
): Promise<CheckoutService> {
  const server: Server = createServer((request, response) => {
    handle(client, request, response).catch((error: unknown) => answer(response, 500, { error: (error as Error).message }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeIdleConnections();
        server.close(() => resolve());
      }),
  };
}

async function handle(client: DarkLaunchClient, request: IncomingMessage, response: ServerResponse): Promise<void> {
  if (request.method !== "POST" || request.url !== "/quote") return answer(response, 404, { error: "POST /quote is the only route" });
  const body = parseQuoteRequest(await readBody(request));
  if (typeof body === "string") return answer(response, 400, { error: body });
  const context = { id: body.user };
  // Evaluated locally on the streamed snapshot: no network call per request, never throws.
  const express = client.isEnabled(FLAGS.express, context);
  const quote: Quote = await client.experiment(FLAGS.pricing, context, {
    control: () => legacyPrice(body.lines),
    candidate: () => newPrice(body.lines),
  });
  answer(response, 200, { ...quote, express });
}

function parseQuoteRequest(text: string): QuoteRequest | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return "the body is not JSON";
  }
  const { user, lines } = (value ?? {}) as Partial<QuoteRequest>;
  if (typeof user !== "string" || user === "") return "user must be a non-empty string";
  if (!Array.isArray(lines)) return "lines must be an array of { sku, unitCents, quantity }";
  for (const [i, line] of lines.entries()) {
    if (typeof line?.sku !== "string" || !Number.isInteger(line.unitCents) || !Number.isInteger(line.quantity) || line.quantity < 1)
      return `lines[${i}] must be { sku: string, unitCents: integer, quantity: integer ≥ 1 }`;
  }
  return { user, lines };
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function answer(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) }).end(text);
}
