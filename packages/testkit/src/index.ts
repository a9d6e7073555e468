/**
 * @darklaunch/testkit — the test helpers more than one package's tests use (private, never
 * published). Production code never imports it; `scripts/check-layout.mjs` fails `npm test` when
 * it does, or when a test reaches into another package's `src/` by path instead.
 */
export {
  type Answer,
  clientServing,
  deadUrl,
  eventually,
  json,
  ok,
  type ProxyTestKit,
  proxyTestKit,
  type Received,
  startBackend,
  type TestBackend,
} from "./test-backends.js";
export {
  caseTime,
  EVALUATION_FIXTURES_URL,
  type EvaluationCase,
  type EvaluationFixtures,
  type ExpectedEvaluation,
  type ExpectedProblem,
  type InvalidRulesetCase,
  type JsonValue,
  loadEvaluationFixtures,
} from "./test-fixtures.js";
export { releaseFlag } from "./test-flags.js";
export { connectTestPostgres, TEST_DATABASE_URL } from "./test-postgres.js";
export { type ReceivedWebhook, TestReceiver } from "./test-receiver.js";
export { ADMIN_SECRET, startTestServer, type TestScope, type TestServer, useListeningSqliteServer } from "./test-server.js";
export { killProcess, type ServerProcess, startServerProcess } from "./test-server-process.js";
export { STORE_FACTORIES, type StoreFactory, type TestStore } from "./test-stores.js";
