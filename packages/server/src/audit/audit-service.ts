import type { FlagService } from "../flags/flag-service.js";
import { nextBefore } from "../query-params.js";
import type { AuditEntry, AuditQuery, AuditStore } from "./audit-store.js";

/** A page of the audit log, newest first; `nextBefore` pages on to older entries (null on the last page). */
export interface AuditPage {
  entries: AuditEntry[];
  nextBefore: number | null;
}

/**
 * The audit log: who changed what, when, with the state before and after. Entries are written by
 * the services that change things, inside their own transactions (`tx.audit.record`).
 */
export class AuditService {
  constructor(
    private readonly store: AuditStore,
    private readonly flags: FlagService,
  ) {}

  async list(query: AuditQuery): Promise<AuditPage> {
    const entries = await this.store.list(query);
    return { entries, nextBefore: nextBefore(entries, query.limit) };
  }

  /** One flag's entries. A deleted flag keeps its history; only a key that never had one is unknown (404). */
  async ofFlag(key: string, query: Omit<AuditQuery, "targetType" | "target">): Promise<AuditPage> {
    const page = await this.list({ ...query, targetType: "flag", target: key });
    if (page.entries.length === 0 && query.before === undefined && !(await this.store.has("flag", key))) await this.flags.get(key);
    return page;
  }
}
