import pg from "pg";
import type { Database } from "../store/database.js";
import { CHANGES_CHANNEL, onLocalChange } from "./change-notice.js";

export interface ChangeFeedOptions {
  /** `postgres://…` of the store: the LISTEN client needs its own connection, outside the pool. */
  databaseUrl?: string | undefined;
  onError?: (error: unknown) => void;
}

/** How a replica learns that the configuration changed, from any replica. */
export interface ChangeFeed {
  close(): Promise<void>;
}

/**
 * Starts the one "changes" component of a replica: on Postgres a dedicated client that LISTENs on
 * `darklaunch_changes` (and reconnects when it drops), on SQLite the in-process event after commit.
 * `onChange` carries no data: the caller reloads the ruleset, whose revision says what is new.
 */
export async function startChangeFeed(database: Database, onChange: () => void, options: ChangeFeedOptions = {}): Promise<ChangeFeed> {
  if (database.dialect === "postgres" && options.databaseUrl !== undefined) {
    const listener = new PostgresListener(options.databaseUrl, onChange, options.onError ?? (() => {}));
    await listener.start();
    return listener;
  }
  const stop = onLocalChange(database, onChange);
  return { close: async () => stop() };
}

const MAX_BACKOFF_MS = 5_000;

class PostgresListener implements ChangeFeed {
  private client: pg.Client | undefined;
  private readonly dropped = new WeakSet<pg.Client>();
  private timer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private closed = false;

  constructor(
    private readonly url: string,
    private readonly onChange: () => void,
    private readonly onError: (error: unknown) => void,
  ) {}

  async start(): Promise<void> {
    await this.connect();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    const client = this.client;
    this.client = undefined;
    if (client) {
      this.dropped.add(client);
      await client.end().catch(() => {});
    }
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 5_000, application_name: "darklaunch-listen" });
    client.on("error", (error) => {
      this.onError(error);
      this.drop(client);
    });
    client.on("end", () => this.drop(client));
    client.on("notification", (message) => {
      if (message.channel === CHANGES_CHANNEL) this.onChange();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGES_CHANNEL}`);
    } catch (error) {
      this.onError(error);
      this.drop(client);
      return;
    }
    if (this.closed || this.dropped.has(client)) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
    this.attempt = 0;
    // Writes committed while no client was listening sent notifications nobody heard: catch up.
    this.onChange();
  }

  /** Forgets a failed client (once, whether it errored, ended or both) and schedules a new one. */
  private drop(client: pg.Client): void {
    if (this.dropped.has(client)) return;
    this.dropped.add(client);
    if (this.client === client) this.client = undefined;
    client.end().catch(() => {});
    if (this.closed || this.timer !== undefined) return;
    const delay = Math.min(MAX_BACKOFF_MS, 100 * 2 ** this.attempt++);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.closed) void this.connect();
    }, delay);
    this.timer.unref();
  }
}
