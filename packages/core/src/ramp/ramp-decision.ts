import type { RampAlertKind, RampState, RampTarget, RampVerdict } from "./ramp-state.js";

/**
 * What a ramp did. The first six are what `nextRampAction` answers to a verdict; the others are
 * the manual controls and the start.
 */
export const RAMP_ACTIONS = [
  "none",
  "hold",
  "alert",
  "advance",
  "complete",
  "rollback",
  "start",
  "pause",
  "resume",
  "abort",
  "promote",
  "dismiss",
] as const;
export type RampAction = (typeof RAMP_ACTIONS)[number];

export const RAMP_ALERT_SEVERITIES = ["page", "ticket"] as const;
export type RampAlertSeverity = (typeof RAMP_ALERT_SEVERITIES)[number];

/** An alert for the webhooks: `page` wakes someone (a critical regression); `ticket` can wait for the day. */
export interface RampAlert {
  severity: RampAlertSeverity;
  kind: RampAlertKind;
  why: string;
}

/**
 * The outcome of one step of a ramp. The caller stores `newState`; when `target` is set it changes
 * the flag to it (`rampFlag(flag, target)`), audited with the actor `ramp:<id>` and `why`; when
 * `alert` is set it sends it. `target` carries the phase as well as the percentage, since "10 %"
 * means a mirror in the shadow phase and a served slice after it.
 */
export interface RampDecision {
  action: RampAction;
  newState: RampState;
  target?: RampTarget;
  alert?: RampAlert;
  /** The verdict that caused the decision, when one did. */
  verdict?: RampVerdict;
  /** One sentence with numbers, for the audit log, the CLI and the alert. */
  why: string;
}
