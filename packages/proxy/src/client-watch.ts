import type { Socket } from "node:net";

/** What a client connection tells the calls relaying to it: the client went away. */
export interface ClientGoneListener {
  clientClosed(): void;
}

const WATCH = Symbol("darklaunch.clientWatch");

type WatchedSocket = Socket & { [WATCH]?: ClientWatch };

/**
 * One `close` listener per client connection, not one per request: the relays answering on the
 * connection register here (usually one at a time; pipelined requests may add more) and are told
 * when it closes before they are done.
 */
export class ClientWatch {
  private current: ClientGoneListener | undefined;
  private more: Set<ClientGoneListener> | undefined;
  private closed = false;

  private constructor(socket: Socket) {
    socket.once("close", () => this.onClose());
  }

  /** Registers `listener` on `socket`; false when the connection is already gone (nothing registered). */
  static add(socket: Socket | null, listener: ClientGoneListener): boolean {
    if (socket === null || socket.destroyed) return false;
    const watched = socket as WatchedSocket;
    let watch = watched[WATCH];
    if (watch === undefined) {
      watch = new ClientWatch(socket);
      watched[WATCH] = watch;
    }
    if (watch.closed) return false;
    if (watch.current === undefined) watch.current = listener;
    else {
      watch.more ??= new Set();
      watch.more.add(listener);
    }
    return true;
  }

  /** Unregisters `listener` (its call is done) from `socket`'s watch. */
  static remove(socket: Socket | null, listener: ClientGoneListener): void {
    const watch = (socket as WatchedSocket | null)?.[WATCH];
    if (watch === undefined) return;
    if (watch.current === listener) watch.current = undefined;
    else watch.more?.delete(listener);
  }

  private onClose(): void {
    this.closed = true;
    const current = this.current;
    const more = this.more;
    this.current = undefined;
    this.more = undefined;
    current?.clientClosed();
    if (more !== undefined) for (const listener of more) listener.clientClosed();
  }
}
