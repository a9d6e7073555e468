import { KyselyAuditStore } from "../audit/kysely-audit-store.js";
import type { Database, Tables } from "../store/database.js";
import {
  type Alert,
  type AlertKind,
  type Delivery,
  type DeliveryAttempt,
  type DeliveryStatus,
  type Destination,
  publicDestination,
  type Severity,
  type StoredDestination,
  type WebhookFormat,
} from "./alert.js";
import type { AlertStore, DeliveryQuery, NewDelivery } from "./alert-store.js";

type DestinationRow = Tables["alert_destinations"];
type DeliveryRow = Tables["alert_deliveries"];
type AttemptRow = Tables["alert_attempts"];

function destinationOf(row: DestinationRow): StoredDestination {
  return {
    id: row.id,
    name: row.name,
    url: row.url,
    flag: row.flag,
    severities: JSON.parse(row.severities) as Severity[],
    format: row.format as WebhookFormat,
    createdAt: row.created_at,
    secret: row.secret,
  };
}

function attemptOf(row: AttemptRow): DeliveryAttempt {
  return {
    attempt: Number(row.attempt),
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    statusCode: row.status_code === null ? null : Number(row.status_code),
    error: row.error,
  };
}

function deliveryOf(row: DeliveryRow, log: DeliveryAttempt[]): Delivery {
  return {
    id: row.id,
    destinationId: row.destination_id,
    kind: row.kind as AlertKind,
    flag: row.flag,
    severity: row.severity as Severity,
    dedupKey: row.dedup_key,
    status: row.status as DeliveryStatus,
    attempts: Number(row.attempts),
    lastStatusCode: row.last_status_code === null ? null : Number(row.last_status_code),
    lastError: row.last_error,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    alert: JSON.parse(row.alert) as Alert,
    log,
  };
}

/**
 * Alert destinations and deliveries in the `alert_*` tables, on SQLite or Postgres.
 *
 * @example
 * const store = new KyselyAlertStore(database);
 * const deliveries = await store.listDeliveries({ flag: "checkout-v2", limit: 20 });
 */
export class KyselyAlertStore implements AlertStore {
  constructor(private readonly database: Database) {}

  async createDestination(destination: StoredDestination, audit: Parameters<AlertStore["createDestination"]>[1]): Promise<void> {
    await this.database.db.transaction().execute(async (trx) => {
      await trx
        .insertInto("alert_destinations")
        .values({
          id: destination.id,
          name: destination.name,
          url: destination.url,
          flag: destination.flag,
          severities: JSON.stringify(destination.severities),
          format: destination.format,
          secret: destination.secret,
          created_at: destination.createdAt,
        })
        .execute();
      // The audit entry goes through the audit domain's store, bound to this same transaction.
      await new KyselyAuditStore(trx).record(audit);
    });
  }

  async getDestination(id: string): Promise<StoredDestination | undefined> {
    const row = await this.database.db.selectFrom("alert_destinations").selectAll().where("id", "=", id).executeTakeFirst();
    return row ? destinationOf(row) : undefined;
  }

  async listDestinations(flag?: string): Promise<StoredDestination[]> {
    let select = this.database.db.selectFrom("alert_destinations").selectAll();
    if (flag !== undefined) select = select.where((eb) => eb.or([eb("flag", "is", null), eb("flag", "=", flag)]));
    const rows = await select.orderBy("created_at").orderBy("id").execute();
    return rows.map(destinationOf);
  }

  async deleteDestination(id: string, audit: Parameters<AlertStore["deleteDestination"]>[1]): Promise<Destination | undefined> {
    return this.database.db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom("alert_destinations").selectAll().where("id", "=", id).executeTakeFirst();
      if (!row) return undefined;
      const before = publicDestination(destinationOf(row));
      // Deleted in order rather than by cascade: SQLite enforces the foreign keys, but a store made
      // before they were switched on would not.
      const deliveries = trx.selectFrom("alert_deliveries").select("id").where("destination_id", "=", id);
      await trx.deleteFrom("alert_attempts").where("delivery_id", "in", deliveries).execute();
      await trx.deleteFrom("alert_deliveries").where("destination_id", "=", id).execute();
      await trx.deleteFrom("alert_dedup").where("destination_id", "=", id).execute();
      await trx.deleteFrom("alert_destinations").where("id", "=", id).execute();
      await new KyselyAuditStore(trx).record(audit(before));
      return before;
    });
  }

  async claimDedup(destinationId: string, key: string, now: string, expiresAt: string): Promise<boolean> {
    // One statement: insert the claim, or take over an expired one; a live claim is left alone and
    // nothing is returned. Both databases run it atomically.
    const claimed = await this.database.db
      .insertInto("alert_dedup")
      .values({ destination_id: destinationId, dedup_key: key, expires_at: expiresAt })
      .onConflict((oc) =>
        oc.columns(["destination_id", "dedup_key"]).doUpdateSet({ expires_at: expiresAt }).where("alert_dedup.expires_at", "<=", now),
      )
      .returning("dedup_key")
      .executeTakeFirst();
    return claimed !== undefined;
  }

  async createDelivery(delivery: NewDelivery): Promise<void> {
    await this.database.db
      .insertInto("alert_deliveries")
      .values({
        id: delivery.id,
        destination_id: delivery.destinationId,
        kind: delivery.kind,
        flag: delivery.flag,
        severity: delivery.severity,
        dedup_key: delivery.dedupKey,
        alert: JSON.stringify(delivery.alert),
        status: "pending",
        attempts: 0,
        last_status_code: null,
        last_error: null,
        created_at: delivery.createdAt,
        updated_at: delivery.createdAt,
      })
      .execute();
  }

  async recordAttempt(deliveryId: string, attempt: DeliveryAttempt, status: DeliveryStatus): Promise<void> {
    await this.database.db.transaction().execute(async (trx) => {
      await trx
        .insertInto("alert_attempts")
        .values({
          delivery_id: deliveryId,
          attempt: attempt.attempt,
          started_at: attempt.startedAt,
          finished_at: attempt.finishedAt,
          status_code: attempt.statusCode,
          error: attempt.error,
        })
        .execute();
      await trx
        .updateTable("alert_deliveries")
        .set({
          status,
          attempts: attempt.attempt,
          last_status_code: attempt.statusCode,
          last_error: attempt.error,
          updated_at: attempt.finishedAt,
        })
        .where("id", "=", deliveryId)
        .execute();
    });
  }

  async getDelivery(id: string): Promise<Delivery | undefined> {
    const row = await this.database.db.selectFrom("alert_deliveries").selectAll().where("id", "=", id).executeTakeFirst();
    if (!row) return undefined;
    return (await this.withLogs([row]))[0];
  }

  async listDeliveries(query: DeliveryQuery): Promise<Delivery[]> {
    let select = this.database.db.selectFrom("alert_deliveries").selectAll();
    if (query.destinationId !== undefined) select = select.where("destination_id", "=", query.destinationId);
    if (query.flag !== undefined) select = select.where("flag", "=", query.flag);
    const rows = await select.orderBy("created_at", "desc").orderBy("id", "desc").limit(query.limit).execute();
    return this.withLogs(rows);
  }

  private async withLogs(rows: DeliveryRow[]): Promise<Delivery[]> {
    if (rows.length === 0) return [];
    const attempts = await this.database.db
      .selectFrom("alert_attempts")
      .selectAll()
      .where(
        "delivery_id",
        "in",
        rows.map((r) => r.id),
      )
      .orderBy("delivery_id")
      .orderBy("attempt")
      .execute();
    const logs = new Map<string, DeliveryAttempt[]>();
    for (const row of attempts) {
      const log = logs.get(row.delivery_id) ?? [];
      log.push(attemptOf(row));
      logs.set(row.delivery_id, log);
    }
    return rows.map((row) => deliveryOf(row, logs.get(row.id) ?? []));
  }
}
