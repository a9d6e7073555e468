/**
 * Backends for `bench:proxy`, in a process of their own: `node proxy-backends.js stable` serves a
 * small JSON document at once; `dark` starts a fast dark backend and one that answers after 200 ms.
 * Prints `{ "<name>": "http://127.0.0.1:port", … }` and counts what each one received at `/__count`.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

const BODY = JSON.stringify({
  id: "order-1842",
  status: "confirmed",
  items: [
    { sku: "A-100", name: "Kettle", price: 24.5, quantity: 1 },
    { sku: "B-220", name: "Teapot", price: 31.0, quantity: 2 },
  ],
  total: 86.5,
  currency: "EUR",
});

function backend(delayMs: number): Promise<string> {
  let count = 0;
  const server = http.createServer((req, res) => {
    if (req.url === "/__count") {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ count }));
      return;
    }
    count++;
    req.resume();
    req.on("end", () => {
      const answer = () => {
        res.setHeader("content-type", "application/json");
        res.setHeader("content-length", Buffer.byteLength(BODY));
        res.end(BODY);
      };
      if (delayMs === 0) answer();
      else setTimeout(answer, delayMs);
    });
  });
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
  );
}

const kind = process.argv[2];
if (kind === "stable") {
  console.log(JSON.stringify({ stable: await backend(0) }));
} else if (kind === "dark") {
  console.log(JSON.stringify({ darkFast: await backend(0), darkSlow: await backend(200) }));
} else {
  console.error(`usage: proxy-backends.js stable|dark (got ${String(kind)})`);
  process.exit(2);
}
