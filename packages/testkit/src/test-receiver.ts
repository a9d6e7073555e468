import { once } from "node:events";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";

export interface ReceivedWebhook {
  path: string;
  headers: IncomingHttpHeaders;
  /** The raw body, exactly as signed. */
  body: string;
}

/**
 * A real webhook receiver on 127.0.0.1 (ephemeral port) for tests: it records every request and
 * answers each path with the next status of its script (200 once the script is used up).
 */
export class TestReceiver {
  readonly received: ReceivedWebhook[] = [];
  private readonly scripts = new Map<string, number[]>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<TestReceiver> {
    let receiver: TestReceiver | undefined;
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (chunk: Buffer) => chunks.push(chunk));
      request.on("end", () => receiver?.take(request.url ?? "/", request.headers, Buffer.concat(chunks).toString("utf8"), response));
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const address = server.address();
    const port = typeof address === "object" && address !== null ? address.port : 0;
    receiver = new TestReceiver(server, `http://127.0.0.1:${port}`);
    return receiver;
  }

  /** Answers the next requests to `path` with these statuses, in order. */
  script(path: string, statuses: number[]): void {
    this.scripts.set(path, [...statuses]);
  }

  /** The requests to one path. */
  at(path: string): ReceivedWebhook[] {
    return this.received.filter((r) => r.path === path);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((done) => this.server.close(() => done()));
  }

  private take(path: string, headers: IncomingHttpHeaders, body: string, response: import("node:http").ServerResponse): void {
    this.received.push({ path, headers, body });
    const status = this.scripts.get(path)?.shift() ?? 200;
    response.writeHead(status, { "content-type": "text/plain" }).end(status < 300 ? "ok" : "no");
  }
}
