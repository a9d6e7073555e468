import { EventEmitter } from "node:events";
import { sql } from "kysely";
import type { Database, Db } from "../store/database.js";

/** The Postgres channel every replica LISTENs on; the payload is the new revision (DESIGN §6 Scale-out). */
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
 * Called inside a config transaction, after the revision was bumped. On Postgres it queues
 * `NOTIFY darklaunch_changes, '<revision>'`, which Postgres delivers only if the transaction commits.
 */
export async function announceChangeInTransaction(trx: Db, database: Database): Promise<void> {
  if (database.dialect !== "postgres") return;
  await sql`select pg_notify(${CHANGES_CHANNEL}, value::text) from meta where name = 'revision'`.execute(trx);
}

/** Called after a config transaction committed. SQLite has no NOTIFY: the event stays in-process. */
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
