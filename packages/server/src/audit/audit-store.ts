export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  targetType: string;
  targetKey: string;
  before: unknown;
  after: unknown;
}

export interface AuditWrite {
  actor: string;
  action: string;
  targetType: string;
  targetKey: string;
  before?: unknown;
  after?: unknown;
}

export interface AuditQuery {
  targetType?: string;
  target?: string;
  actor?: string;
  action?: string;
  since?: string;
  until?: string;
  /** Entries with an id below this one (for paging backwards from the newest). */
  before?: number;
  limit: number;
}

/** Where the audit log is kept; the audit domain owns the `audit` table. */
export interface AuditStore {
  /** Records one write. Use the store bound to the write's own transaction, so both land or neither does. */
  record(entry: AuditWrite): Promise<void>;
  /** Newest first. */
  list(query: AuditQuery): Promise<AuditEntry[]>;
  /** True when the target has at least one entry. */
  has(targetType: string, targetKey: string): Promise<boolean>;
}
