import type { RampPlan, RampState, RampStatus } from "@darklaunch/core";
import type { Prunable } from "../store/retention.js";

/** A ramp as the store keeps it. */
export interface StoredRamp {
  id: string;
  flag: string;
  plan: RampPlan;
  state: RampState;
  darkBuild: string | null;
  /** Judge settings given at the start (`{}`: the defaults); the plan's warm-up and step times override theirs. */
  judge: Record<string, unknown>;
  /** This ramp's minute in milliseconds, fixed at its start so a restart keeps its clock. */
  minuteMs: number;
  /** Bumped by every write: a write names the version it read (compare-and-set). */
  version: number;
  createdBy: string;
  startedAt: string;
  updatedAt: string;
}

export interface RampLease {
  owner: string;
  expiresAt: string;
}

/** One verdict a ramp acted on, with the judge's numbers. */
export interface StoredVerdict {
  rampId: string;
  flag: string;
  at: string;
  state: string;
  action: string;
  /** The replica that judged it (the lease holder). */
  replica: string;
  why: string;
  verdict: Record<string, unknown>;
}

/** Ramps, their leases and their verdict history (verdicts expire with the retention period, except an active ramp's). */
export interface RampStore extends Prunable {
  /** Inserts a ramp; false when the flag already has an active (running or paused) one. */
  create(ramp: StoredRamp): Promise<boolean>;
  get(id: string): Promise<StoredRamp | undefined>;
  /** Deletes a ramp that never got going (its first flag change failed), with its lease and verdicts. */
  remove(id: string): Promise<void>;
  /** The flag's active ramp, else its newest. */
  forFlag(flag: string): Promise<StoredRamp | undefined>;
  /** Newest first; `statuses` limits the list. */
  list(statuses?: readonly RampStatus[]): Promise<StoredRamp[]>;
  /**
   * Writes a new state if the stored version is still `expected` (compare-and-set): true when it
   * was written, false when another writer got there first.
   */
  update(id: string, expected: number, state: RampState, at: string): Promise<boolean>;
  /**
   * Takes or renews the ramp's lease for `owner` until `expiresAt`: true when `owner` holds it now
   * (it was free, expired before `now`, or already its own). One statement, so of two replicas
   * asking at once exactly one gets it.
   */
  claimLease(rampId: string, owner: string, now: string, expiresAt: string): Promise<boolean>;
  lease(rampId: string): Promise<RampLease | undefined>;
  /** Gives up the owner's leases (on close), so another replica takes over at once. */
  releaseLeases(owner: string): Promise<void>;
  recordVerdict(verdict: StoredVerdict): Promise<void>;
  /** Newest first. */
  verdicts(rampId: string, limit: number): Promise<StoredVerdict[]>;
}
