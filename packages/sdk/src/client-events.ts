import type { SdkError } from "./errors.js";

/** Where the snapshot being served came from. */
export type SnapshotSource = "server" | "cache" | "bootstrap";

export interface ReadyEvent {
  source: SnapshotSource;
  revision: unknown;
  /** True when serving a cache file or bootstrap because the server could not be reached. */
  stale: boolean;
}

export interface ChangeEvent {
  /** Flags whose answers may have changed, sorted. */
  keys: string[];
  revision: unknown;
}

export interface StaleEvent {
  error: SdkError;
  revision: unknown;
}

export interface ClientEvents {
  change: (event: ChangeEvent) => void;
  stale: (event: StaleEvent) => void;
  error: (error: SdkError) => void;
  ready: (event: ReadyEvent) => void;
}

/** The listeners of one client, by event. */
export class ClientEventHub {
  private readonly listeners: { [K in keyof ClientEvents]: Set<ClientEvents[K]> } = {
    change: new Set(),
    stale: new Set(),
    error: new Set(),
    ready: new Set(),
  };

  on<K extends keyof ClientEvents>(event: K, listener: ClientEvents[K]): void {
    this.listeners[event].add(listener);
  }

  off<K extends keyof ClientEvents>(event: K, listener: ClientEvents[K]): void {
    this.listeners[event].delete(listener);
  }

  emit<K extends keyof ClientEvents>(event: K, payload: Parameters<ClientEvents[K]>[0]): void {
    for (const listener of this.listeners[event]) {
      try {
        (listener as (p: typeof payload) => void)(payload);
      } catch {
        // A throwing listener must not break the sync or the other listeners.
      }
    }
  }
}
