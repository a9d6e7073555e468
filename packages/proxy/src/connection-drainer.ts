import type { Server } from "node:http";
import type { Socket } from "node:net";

/**
 * Graceful shutdown for a node:http server: `drain()` stops accepting, closes keep-alive
 * connections as soon as they are idle (at once, or when their response finishes), and after
 * `limitMs` closes whatever is left. (`server.close()` alone waits for clients to hang up idle
 * keep-alive connections themselves.)
 */
export class ConnectionDrainer {
  private readonly active = new Map<Socket, number>();
  private draining = false;

  constructor(private readonly server: Server) {
    server.on("connection", (socket: Socket) => {
      this.active.set(socket, 0);
      socket.once("close", () => this.active.delete(socket));
    });
    server.on("request", (request, response) => {
      const socket = request.socket;
      this.active.set(socket, (this.active.get(socket) ?? 0) + 1);
      if (this.draining) response.setHeader("connection", "close");
      response.once("close", () => {
        const left = (this.active.get(socket) ?? 1) - 1;
        this.active.set(socket, left);
        if (this.draining && left === 0) socket.end();
      });
    });
  }

  drain(limitMs: number): Promise<void> {
    if (!this.server.listening) return Promise.resolve();
    this.draining = true;
    return new Promise((resolve) => {
      const force = setTimeout(() => this.server.closeAllConnections(), limitMs).unref();
      this.server.close(() => {
        clearTimeout(force);
        resolve();
      });
      for (const [socket, requests] of this.active) if (requests === 0) socket.end();
    });
  }
}
