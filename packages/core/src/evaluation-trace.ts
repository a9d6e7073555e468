/**
 * One step of an evaluation as it happened, in the order of evaluation. Evaluation records steps
 * only when it is handed a trace (what `explain` does); without one it records nothing and
 * allocates nothing for it. `explain` renders the trace, so its story cannot drift from what
 * evaluation did.
 */
export type TraceStep =
  /** The flag key named no flag. */
  | { readonly step: "flag"; readonly found: false }
  /** The context was not an object of attributes, or the subject attribute held no string or number. */
  | { readonly step: "context"; readonly problem: "not-an-object" | "invalid-subject" }
  | { readonly step: "enabled"; readonly enabled: boolean }
  | { readonly step: "schedule"; readonly now: number; readonly inside: boolean }
  /** `index` is the prerequisite's place in the flag's `prerequisites`. */
  | { readonly step: "prerequisite"; readonly index: number; readonly met: boolean }
  | { readonly step: "override"; readonly subject: string }
  /** `index` is the rule's place in the flag's `rules`; `conditions` holds each condition's verdict. */
  | { readonly step: "rule"; readonly index: number; readonly conditions: readonly boolean[]; readonly holds: boolean }
  | { readonly step: "fallthrough" };

/** Where evaluation records its steps when asked to. */
export type EvaluationTrace = TraceStep[];
