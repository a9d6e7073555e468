/**
 * Ramps (docs/architecture.md#the-judge): a plan of steps, a pure state machine that turns each minute's verdict into
 * advance, hold, alert, complete or rollback, the manual controls, and what a step means for a flag.
 * No I/O and no clock: the server passes `now` and stores the state.
 */
export { DEFAULT_MINUTE_MS, nextRampAction, type RampClockOptions, rollbackTarget } from "./next-ramp-action.js";
export {
  abortRamp,
  dismissVerdict,
  noteManualChange,
  pauseRamp,
  promoteRamp,
  RampConflictError,
  type RampControl,
  resumeRamp,
  startRamp,
} from "./ramp-controls.js";
export {
  RAMP_ACTIONS,
  RAMP_ALERT_SEVERITIES,
  type RampAction,
  type RampAlert,
  type RampAlertSeverity,
  type RampDecision,
} from "./ramp-decision.js";
export { rampFlag, rampFlagProblems, rampServeVariant, rampTargetOf } from "./ramp-flag.js";
export {
  DEFAULT_MAX_STEP_MINUTES,
  DEFAULT_MIN_STEP_MINUTES,
  DEFAULT_RAMP_STEPS,
  DEFAULT_WARMUP_MINUTES,
  durationMinutes,
  INCONCLUSIVE_POLICIES,
  type InconclusivePolicy,
  parseRampPlan,
  type RampPlan,
  type RampPlanInput,
  RampPlanSchema,
  ROLLBACK_TARGETS,
  type RollbackTarget,
  validateRampPlan,
} from "./ramp-plan.js";
export {
  describeRampTarget,
  firstRampPosition,
  MAX_RAMP_HISTORY,
  nextRampPosition,
  parseRampState,
  RAMP_ALERT_KINDS,
  RAMP_EVENT_KINDS,
  RAMP_PHASES,
  RAMP_STATUSES,
  RAMP_VERDICT_STATES,
  type RampAlertKind,
  type RampDismissal,
  type RampEvent,
  type RampEventKind,
  type RampPhase,
  type RampPosition,
  type RampState,
  RampStateSchema,
  type RampStatus,
  type RampTarget,
  type RampVerdict,
  type RampVerdictInput,
  RampVerdictSchema,
  type RampVerdictState,
  rampServedPercentage,
  rampTargetAt,
  sameRampTarget,
} from "./ramp-state.js";
