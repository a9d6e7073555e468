import type * as Protocol from "@darklaunch/core";
import { describe, expectTypeOf, it } from "vitest";
import type { AuditEntry } from "./audit/audit-store.js";
import type { EvaluationStats } from "./evaluations/evaluation-service.js";
import type { EvaluationRecord, EvaluationSource, Verdict } from "./evaluations/evaluation-store.js";
import type { ObservationSeries, RecordResult } from "./observations/observation-service.js";
import type { OverrideRecord } from "./overrides/override-store.js";
import type { IdsChanged } from "./segments/segment-service.js";
import type { SegmentRecord } from "./segments/segment-store.js";
import type { TokenInfo } from "./tokens/token-store.js";

/**
 * The stores and services still name their own row types. These checks make the compiler (the
 * test type-check) fail when one drifts from the protocol schema the route declares; at run time
 * the response check of every server test catches what types cannot (extra fields, nulls).
 */
describe("the server's own types match the protocol", () => {
  it("row and answer types", () => {
    expectTypeOf<AuditEntry>().toEqualTypeOf<Protocol.AuditEntry>();
    expectTypeOf<TokenInfo>().toEqualTypeOf<Protocol.TokenInfo>();
    expectTypeOf<SegmentRecord>().toMatchTypeOf<Protocol.SegmentRecord>();
    expectTypeOf<OverrideRecord>().toEqualTypeOf<Protocol.OverrideRecord>();
    expectTypeOf<EvaluationRecord>().toEqualTypeOf<Protocol.EvaluationRecord>();
    expectTypeOf<EvaluationStats>().toMatchTypeOf<Protocol.EvaluationStats>();
    expectTypeOf<Verdict>().toEqualTypeOf<Protocol.Verdict>();
    expectTypeOf<EvaluationSource>().toEqualTypeOf<Protocol.EvaluationSource>();
    expectTypeOf<IdsChanged>().toEqualTypeOf<Protocol.SegmentIdsChanged>();
    expectTypeOf<RecordResult>().toMatchTypeOf<Protocol.ObservationRecordResult>();
    expectTypeOf<ObservationSeries>().toMatchTypeOf<Protocol.ObservationSeries>();
  });
});
