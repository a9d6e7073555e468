import type { Server, ServerResponse } from "node:http";
import type { Socket } from "node:net";

/** node:http's response in progress on a connection (set from the request's arrival to its response's end). */
type ServerSocket = Socket & { _httpMessage?: ServerResponse | null };

/**
 * Graceful shutdown for a node:http server: `drain()` stops accepting, closes keep-alive
 * connections as soon as they are idle (at once, or when their response finishes), and after
 * `limitMs` closes whatever is left. (`server.close()` alone waits for clients to hang up idle
 * keep-alive connections themselves.) It costs one listener per connection and nothing per request
 * until it drains: the response a connection is busy with is node:http's own `_httpMessage`.
 */
export class ConnectionDrainer {
  private readonly sockets = new Set<Socket>();
  private draining = false;

  constructor(private readonly server: Server) {
    server.on("connection", (socket: Socket) => {
      this.sockets.add(socket);
      socket.once("close", () => this.sockets.delete(socket));
    });
  }

  drain(limitMs: number): Promise<void> {
    if (!this.server.listening) return Promise.resolve();
    if (!this.draining) {
      this.draining = true;
      // Requests that still come on open connections are answered with `connection: close`, and
      // their connection is ended after them (also when the answer was written at once).
      this.server.on("request", (request, response: ServerResponse) => {
        if (!response.headersSent) response.shouldKeepAlive = false;
        this.endWhenIdle(request.socket as ServerSocket);
      });
    }
    return new Promise((resolve) => {
      const force = setTimeout(() => this.server.closeAllConnections(), limitMs).unref();
      this.server.close(() => {
        clearTimeout(force);
        resolve();
      });
      for (const socket of this.sockets) this.endWhenIdle(socket as ServerSocket);
    });
  }

  /** Ends the connection once no response is in progress on it (pipelined ones follow each other). */
  private endWhenIdle(socket: ServerSocket): void {
    if (socket.destroyed) return;
    const busy = socket._httpMessage;
    if (busy === undefined || busy === null) {
      socket.end();
      return;
    }
    // After `close`, node:http has moved on to the next pipelined response, if any.
    busy.once("close", () => process.nextTick(() => this.endWhenIdle(socket)));
  }
}
