import { EventEmitter } from "node:events";
import type { Database } from "../store/database.js";

/** The Postgres channel every replica LISTENs on; the payload is the new revision (docs/operations.md#several-replicas). */
export const CHANGES_CHANNEL = "darklaunch_changes";

// One emitter per open store: two servers in one process (tests) never hear each other's writes.
const localChanges = new WeakMap<Database, EventEmitter>();

function emitterOf(database: Database): EventEmitter {
  let emitter = localChanges.get(database);
  if (!emitter) {
    emitter = new EventEmitter();
    emitter.setMaxListeners(0);
    localChanges.set(database, emitter);
  }
  return emitter;
}

/**
 * Called after a config transaction committed. On Postgres the revision store's NOTIFY, sent inside
 * the transaction, already tells every replica; SQLite has none, so the event stays in-process.
 */
export function announceCommittedChange(database: Database): void {
  if (database.dialect === "postgres") return;
  emitterOf(database).emit("change");
}

/** Listens to the in-process changes of one store; returns the function that stops listening. */
export function onLocalChange(database: Database, listener: () => void): () => void {
  const emitter = emitterOf(database);
  emitter.on("change", listener);
  return () => emitter.off("change", listener);
}
