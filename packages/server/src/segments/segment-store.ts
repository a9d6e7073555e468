import type { Condition, Segment } from "@darklaunch/core";

/** A segment as the API shows it: its id list is only counted here and paged through separately. */
export interface SegmentRecord {
  key: string;
  description: string;
  conditions: Condition[];
  version: number;
  idCount: number;
  createdAt: string;
  updatedAt: string;
}

export interface SegmentWrite {
  key: string;
  description: string;
  conditions: Condition[];
  version: number;
}

/** Where segments and their ids are kept; the segments domain owns `segments` and `segment_ids`. */
export interface SegmentStore {
  get(key: string): Promise<SegmentRecord | undefined>;
  list(): Promise<SegmentRecord[]>;
  /** Every segment as the ruleset holds it; `ids: false` leaves the id lists empty (for validation). */
  listForRuleset(options: { ids: boolean }): Promise<Segment[]>;
  countIds(key: string): Promise<number>;
  /** Characters of every id in every segment together: the bulk of an SDK snapshot. */
  idCharacters(): Promise<number>;
  /** One page of a segment's ids, ordered by subject, starting after `cursor`. */
  listIds(key: string, cursor: string | undefined, limit: number): Promise<string[]>;
  insert(segment: SegmentWrite, at: string): Promise<void>;
  /** Writes `next` only if the stored version is still `expected` (check and write in one statement). */
  update(next: SegmentWrite, expected: number, at: string): Promise<boolean>;
  /** Deletes the segment and its ids if its version is still `expected`. */
  delete(key: string, expected: number): Promise<boolean>;
  /** Adds ids; ids already there are skipped. Returns how many were new. */
  addIds(key: string, ids: readonly string[]): Promise<number>;
  /** Removes ids; ids not there are skipped. Returns how many were removed. */
  removeIds(key: string, ids: readonly string[]): Promise<number>;
}
