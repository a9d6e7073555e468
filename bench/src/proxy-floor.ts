/**
 * The bare floor for `bench:proxy`: what Node itself allows a proxy on this machine, with none of
 * darklaunch's features (no flags, routes, breakers, comparison, metrics or streaming of large
 * bodies). A node:http front; undici `Pool.dispatch` behind with a raw handler; the response body
 * collected and written once. With `--dark URL` every request is also sent to dark fire-and-forget,
 * at most 100 in flight (the excess is dropped); with `--mirror-prefix /p` only requests whose path
 * starts with `/p` are (bench:proxy's one-process pairs). `GET /__inflight` answers the mirrors in
 * flight. `node proxy-floor.js --stable URL [--dark URL [--mirror-prefix /p]]` prints
 * `{ "url": "http://127.0.0.1:port" }`.
 */
import http, { type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { type Dispatcher, Pool } from "undici";

const args = process.argv.slice(2);
const option = (name: string) => {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
};
const stableUrl = option("--stable");
const darkUrl = option("--dark");
if (stableUrl === undefined) {
  console.error("usage: proxy-floor.js --stable URL [--dark URL [--mirror-prefix /p]]");
  process.exit(2);
}
const stable = new Pool(stableUrl, { keepAliveTimeout: 30_000 });
const dark = darkUrl === undefined ? undefined : new Pool(darkUrl, { keepAliveTimeout: 30_000 });
const mirrorPrefix = option("--mirror-prefix") ?? "/";
const MIRROR_LIMIT = 100;
let inflight = 0;
// undici's raw (legacy) handler, as a pool dispatches it: no streams, no promises.
const mirrorDone: Dispatcher.DispatchHandler = {
  onConnect() {},
  onHeaders: () => true,
  onData: () => true,
  onComplete() {
    inflight--;
  },
  onError() {
    inflight--;
  },
};

const HOP = new Set(["connection", "keep-alive", "transfer-encoding"]);

function forward(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer | undefined): void {
  const headers: IncomingHttpHeaders = req.headers;
  delete headers.host;
  delete headers.connection;
  const path = req.url ?? "/";
  const method = req.method as Dispatcher.HttpMethod;
  const chunks: Buffer[] = [];
  let status = 502;
  const out: string[] = [];
  stable.dispatch(
    { path, method, headers, body },
    {
      onConnect() {},
      onHeaders(statusCode, raw) {
        status = statusCode;
        for (let i = 0; i < raw.length; i += 2) {
          const name = (raw[i] as Buffer).toString("latin1");
          if (!HOP.has(name.toLowerCase())) out.push(name, (raw[i + 1] as Buffer).toString("latin1"));
        }
        return true;
      },
      onData(chunk) {
        chunks.push(chunk);
        return true;
      },
      onComplete() {
        const payload = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
        res.writeHead(status, out).end(payload);
      },
      onError() {
        if (!res.headersSent) res.writeHead(502).end();
        else res.destroy();
      },
    },
  );
  if (dark !== undefined && inflight < MIRROR_LIMIT && path.startsWith(mirrorPrefix)) {
    inflight++;
    dark.dispatch({ path, method, headers: { ...headers, "x-dark-launch": "shadow" }, body }, mirrorDone);
  }
}

const server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  if (req.url === "/__inflight") {
    res.end(String(inflight));
    return;
  }
  if (req.headers["content-length"] === undefined && req.headers["transfer-encoding"] === undefined) {
    req.resume();
    forward(req, res, undefined);
    return;
  }
  const parts: Buffer[] = [];
  req.on("data", (chunk: Buffer) => parts.push(chunk));
  req.on("end", () => forward(req, res, Buffer.concat(parts)));
});
// An orderly exit on SIGTERM, so that `--cpu-prof` writes its profile.
process.on("SIGTERM", () => process.exit(0));
server.listen(0, "127.0.0.1", () => console.log(JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })));
