import {
  ALERT_KINDS,
  type Alert,
  type AlertInput,
  type AlertKind,
  AlertSchema,
  type Delivery,
  type DeliveryAttempt,
  type DeliveryStatus,
  type Destination,
  SEVERITIES,
  type Severity,
  WEBHOOK_FORMATS,
  type WebhookFormat,
} from "@darklaunch/core";

export type { Alert, AlertInput, AlertKind, Delivery, DeliveryAttempt, DeliveryStatus, Destination, Severity, WebhookFormat };
// The alert contract lives in core's protocol module (one schema for server, CLI and receivers).
export { ALERT_KINDS, AlertSchema, SEVERITIES, WEBHOOK_FORMATS };

/** The de-duplication key of an alert: its own, or one made of what it is about. */
export function dedupKeyOf(alert: Alert): string {
  return alert.dedupKey ?? `${alert.kind}:${alert.flag ?? "*"}:${alert.state}:${alert.severity}`;
}

export interface StoredDestination extends Destination {
  secret: string;
}

/** A destination without its secret. */
export function publicDestination({ secret: _secret, ...destination }: StoredDestination): Destination {
  return destination;
}
