import type { AuditWrite } from "../audit/audit-store.js";
import type { Delivery, DeliveryAttempt, DeliveryStatus, Destination, StoredDestination } from "./alert.js";

/** A delivery as first written, before any attempt. */
export type NewDelivery = Omit<Delivery, "status" | "attempts" | "lastStatusCode" | "lastError" | "updatedAt" | "log">;

export interface DeliveryQuery {
  destinationId?: string | undefined;
  flag?: string | undefined;
  limit: number;
}

/**
 * Where alert destinations and the delivery log are kept. Writes that people make (creating and
 * removing destinations) take their audit entry and record it in the same transaction.
 */
export interface AlertStore {
  createDestination(destination: StoredDestination, audit: AuditWrite): Promise<void>;
  getDestination(id: string): Promise<StoredDestination | undefined>;
  /** Every destination, oldest first; with `flag`, only those for that flag and the global ones. */
  listDestinations(flag?: string): Promise<StoredDestination[]>;
  /** Deletes a destination (its deliveries go with it); undefined when it did not exist. */
  deleteDestination(id: string, audit: (before: Destination) => AuditWrite): Promise<Destination | undefined>;
  /**
   * Claims `key` for the destination until `expiresAt`: true when it was free (never claimed, or its
   * claim expired before `now`), false when it is still held. Atomic, so two replicas sending the
   * same alert at once send it once.
   */
  claimDedup(destinationId: string, key: string, now: string, expiresAt: string): Promise<boolean>;
  createDelivery(delivery: NewDelivery): Promise<void>;
  /** Logs an attempt and sets the delivery's status and latest outcome, in one transaction. */
  recordAttempt(deliveryId: string, attempt: DeliveryAttempt, status: DeliveryStatus): Promise<void>;
  getDelivery(id: string): Promise<Delivery | undefined>;
  /** Newest first, each with its attempts. */
  listDeliveries(query: DeliveryQuery): Promise<Delivery[]>;
}
