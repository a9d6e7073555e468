/**
 * Limits of the control plane's API that both sides must agree on: the server refuses more, and
 * clients (the CLI, the dashboard) split their calls or check their options against the same
 * numbers.
 */

/** Rows a page of a log (audit, evaluations) holds by default and at most. */
export const DEFAULT_PAGE_LIMIT = 100;
export const MAX_PAGE_LIMIT = 1_000;

/** Subjects one `POST /flags/{key}/check` may ask about. */
export const MAX_CHECK_SUBJECTS = 10_000;

/** Ids one segment write may add and remove in total (segments hold 100 000+ ids). */
export const MAX_IDS_PER_CALL = 100_000;

/** Ids a page of `GET /segments/{key}/ids` holds by default and at most. */
export const DEFAULT_IDS_PAGE = 1_000;
export const MAX_IDS_PAGE = 10_000;

/** Mismatch samples `GET /flags/{key}/mismatches` answers with by default and at most. */
export const DEFAULT_SAMPLE_LIMIT = 20;
export const MAX_SAMPLE_LIMIT = 100;

/** Steps one observations time series holds at most. */
export const MAX_STEPS = 1_000;

/** Longest observation route name. */
export const MAX_ROUTE_LENGTH = 256;
