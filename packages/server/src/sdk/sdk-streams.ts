import type { ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { DarkLaunchError, type SdkHeartbeat, type SdkPut } from "@darklaunch/core";
import type { CompiledRuleset, RulesetCache } from "../ruleset/ruleset-cache.js";
import type { Database } from "../store/database.js";
import { type ChangeFeed, startChangeFeed } from "./change-feed.js";
import { diffRulesets } from "./ruleset-diff.js";

export interface SdkStreamOptions {
  /** Milliseconds between `heartbeat` events (default 15 000). */
  heartbeatMs?: number;
  /**
   * Bytes of events a client may leave waiting before it is dropped (default 8 MiB). Every event,
   * the first `put` included, is written in pieces of `WRITE_PIECE` characters as the client reads
   * (backpressure), so a client that stops reading holds one piece in its socket buffer; what waits
   * beyond the event being written counts against this bound. The snapshot text itself is shared by
   * every client, never copied per client, so a snapshot larger than the bound still reaches a
   * client that reads.
   */
  maxBufferedBytes?: number;
  onError?: (error: unknown) => void;
}

const snapshotJsonCache = new WeakMap<CompiledRuleset, string>();

/** The snapshot body (`{ revision, ruleset }`), serialized once per revision. */
export function snapshotJson(compiled: CompiledRuleset): string {
  let json = snapshotJsonCache.get(compiled);
  if (json === undefined) {
    json = JSON.stringify({ revision: compiled.revision, ruleset: compiled.ruleset } satisfies SdkPut);
    snapshotJsonCache.set(compiled, json);
  }
  return json;
}

/** Characters written to a client at a time; the next piece waits for the socket to drain. */
export const WRITE_PIECE = 64 * 1024;

/** One stream client: the events waiting for it, written one piece at a time. */
interface Client {
  raw: ServerResponse;
  /** Events not yet fully written; the first one is being written from `offset`. */
  waiting: string[];
  offset: number;
  /** Characters in `waiting` after the first event. */
  waitingLength: number;
  /** Waiting for `drain` before the next piece. */
  blocked: boolean;
}

function sseEvent(event: string, revision: number, data: string): string {
  return `event: ${event}\nid: ${revision}\ndata: ${data}\n\n`;
}

/**
 * The SSE clients of this replica. Every change the feed reports (from this or any replica) is
 * turned into `patch` / `delete` events by diffing the last ruleset sent with the new one. All work
 * runs on one queue, so a client's `put` and the events after it never skip or repeat a revision.
 */
export class SdkStreams {
  private readonly clients = new Map<ServerResponse, Client>();
  /** Sockets that carried a stream: closed at shutdown, or the server would wait for the peer to drop them. */
  private readonly sockets = new Set<Socket>();
  private current: CompiledRuleset | undefined;
  private queue: Promise<void> = Promise.resolve();
  private feed: ChangeFeed | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly heartbeatMs: number;
  private readonly maxBufferedBytes: number;
  private readonly onError: (error: unknown) => void;

  constructor(
    private readonly rulesets: RulesetCache,
    options: SdkStreamOptions = {},
  ) {
    this.heartbeatMs = options.heartbeatMs ?? 15_000;
    this.maxBufferedBytes = options.maxBufferedBytes ?? 8 * 1024 * 1024;
    this.onError = options.onError ?? (() => {});
  }

  /** Number of connected stream clients (for tests and metrics). */
  get size(): number {
    return this.clients.size;
  }

  /** Bytes written to clients' sockets that they have not read yet, over every client (for tests and metrics). */
  get unreadBytes(): number {
    let total = 0;
    for (const raw of this.clients.keys()) total += raw.writableLength;
    return total;
  }

  /** Starts listening for changes and sending heartbeats. */
  async start(database: Database, databaseUrl?: string): Promise<void> {
    this.feed = await startChangeFeed(database, () => this.changed(), { databaseUrl, onError: this.onError });
    this.heartbeat = setInterval(() => {
      // The heartbeat also re-reads the revision: a change whose notice was lost is sent late, not never.
      void this.enqueue(async () => {
        await this.refresh().catch(this.onError);
        const revision = this.current?.revision ?? 0;
        this.broadcast(sseEvent("heartbeat", revision, JSON.stringify({ revision } satisfies SdkHeartbeat)));
      });
    }, this.heartbeatMs);
    this.heartbeat.unref();
  }

  /**
   * Takes over `raw` as an event stream: `put` with the current snapshot, then every change. Loads
   * the ruleset first, so a store error still answers as an error rather than as an empty stream.
   */
  async open(prepare: () => ServerResponse): Promise<void> {
    if (this.closed) throw new DarkLaunchError("SHUTTING_DOWN", 503, "the server is shutting down; reconnect to another replica");
    await this.enqueue(() => this.refresh());
    const raw = prepare();
    raw.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    });
    raw.on("close", () => this.clients.delete(raw));
    const socket = raw.socket;
    if (socket) {
      this.sockets.add(socket);
      socket.once("close", () => this.sockets.delete(socket));
    }
    await this.enqueue(async () => {
      const current = this.current;
      if (this.closed || raw.destroyed || !current) {
        raw.end();
        return;
      }
      const client: Client = { raw, waiting: [], offset: 0, waitingLength: 0, blocked: false };
      this.clients.set(raw, client);
      this.send(client, sseEvent("put", current.revision, snapshotJson(current)));
    });
  }

  /** Ends every stream and stops listening; new streams are refused. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    for (const raw of this.clients.keys()) raw.end();
    this.clients.clear();
    for (const socket of this.sockets) socket.destroySoon();
    this.sockets.clear();
    await this.feed?.close();
    // A refresh already queued must finish before the caller closes the store under it.
    await this.queue;
  }

  private changed(): void {
    void this.enqueue(() => this.refresh()).catch(this.onError);
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.queue.then(task);
    this.queue = run.catch(() => {});
    return run;
  }

  /** Loads the newest ruleset and, if it is newer than the last one sent, sends what changed. */
  private async refresh(): Promise<void> {
    if (this.closed) return;
    const next = await this.rulesets.get();
    const previous = this.current;
    if (previous && next.revision <= previous.revision) return;
    this.current = next;
    if (!previous || this.clients.size === 0) return;
    const { patch, remove } = diffRulesets(previous.ruleset, next.ruleset, next.revision);
    // Changes before removals: a flag that stops using a segment arrives before the segment goes.
    if (Object.keys(patch).length > 1 || !remove) this.broadcast(sseEvent("patch", next.revision, JSON.stringify(patch)));
    if (remove) this.broadcast(sseEvent("delete", next.revision, JSON.stringify(remove)));
  }

  private broadcast(chunk: string): void {
    for (const client of this.clients.values()) this.send(client, chunk);
  }

  /**
   * Queues one event for a client and writes what its socket takes; a client with more than the
   * bound waiting behind the event being written is dropped, so memory per client stays bounded.
   */
  private send(client: Client, event: string): void {
    if (client.waiting.length > 0) {
      if (client.waitingLength + event.length > this.maxBufferedBytes) {
        this.drop(client);
        return;
      }
      client.waitingLength += event.length;
    }
    client.waiting.push(event);
    this.pump(client);
  }

  private pump(client: Client): void {
    const { raw } = client;
    while (!client.blocked && client.waiting.length > 0 && !raw.destroyed) {
      const event = client.waiting[0]!;
      let end = Math.min(event.length, client.offset + WRITE_PIECE);
      // Never split a surrogate pair: each piece is encoded to UTF-8 on its own.
      if (end < event.length && isHighSurrogate(event.charCodeAt(end - 1))) end -= 1;
      const piece = client.offset === 0 && end === event.length ? event : event.slice(client.offset, end);
      const more = raw.write(piece);
      if (end === event.length) {
        client.waiting.shift();
        client.offset = 0;
        if (client.waiting.length > 0) client.waitingLength -= client.waiting[0]!.length;
      } else {
        client.offset = end;
      }
      if (!more) {
        client.blocked = true;
        raw.once("drain", () => {
          client.blocked = false;
          this.pump(client);
        });
      }
    }
  }

  private drop(client: Client): void {
    this.clients.delete(client.raw);
    client.waiting = [];
    client.raw.destroy();
  }
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
