/**
 * The two backends of `bench:pairing`, in a process of their own (as a service's real backends
 * would be): both answer a small JSON document after 1–4 ms; the dark one `extra` ms later
 * (`node pairing-backends.js <extraMs>`). Prints `{ "stable": url, "dark": url }`.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

const BODY = JSON.stringify({ items: Array.from({ length: 20 }, (_, i) => ({ sku: `A-${i}`, quantity: i })) });

function backend(extraMs: number): Promise<string> {
  const server = http.createServer((_req, res) => {
    setTimeout(() => res.end(BODY), extraMs + 1 + Math.random() * 3);
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
  );
}

const extra = Number(process.argv[2] ?? 0);
if (!Number.isFinite(extra) || extra < 0) {
  console.error(`usage: pairing-backends.js <extraMs ≥ 0> (got ${String(process.argv[2])})`);
  process.exit(2);
}
console.log(JSON.stringify({ stable: await backend(0), dark: await backend(extra) }));
