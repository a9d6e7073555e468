import type { Alert, WebhookFormat } from "./alert.js";

/** The JSON body of a `json` destination: the alert, wrapped with the delivery's id and time. */
export interface WebhookPayload {
  type: "darklaunch.alert";
  /** The delivery id, also in the `x-darklaunch-delivery` header (the same on every retry). */
  id: string;
  createdAt: string;
  alert: Alert;
}

function headline(alert: Alert): string {
  const about = alert.flag === undefined ? "darklaunch" : `darklaunch · ${alert.flag}`;
  const mark = alert.severity === "page" ? ":rotating_light:" : ":warning:";
  return `${mark} [${alert.severity.toUpperCase()}] ${about}: ${alert.kind} ${alert.state}`;
}

/**
 * The body sent to a destination, as the exact text that is signed. `slack` gives what a Slack
 * incoming webhook (and Mattermost, Rocket.Chat …) accepts: `text` as the fallback and `blocks`
 * with the why and the numbers.
 */
export function renderBody(format: WebhookFormat, id: string, createdAt: string, alert: Alert): string {
  if (format === "json") return JSON.stringify({ type: "darklaunch.alert", id, createdAt, alert } satisfies WebhookPayload);
  const title = headline(alert);
  const numbers = Object.entries(alert.numbers);
  const blocks: unknown[] = [
    { type: "section", text: { type: "mrkdwn", text: `*${title}*\n${alert.why}` } },
    ...(numbers.length === 0
      ? []
      : [{ type: "section", fields: numbers.slice(0, 10).map(([name, value]) => ({ type: "mrkdwn", text: `*${name}*\n${value}` })) }]),
    { type: "context", elements: [{ type: "mrkdwn", text: `delivery ${id} · ${createdAt}` }] },
  ];
  return JSON.stringify({ text: `${title}: ${alert.why}`, blocks });
}
