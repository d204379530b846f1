// @switchyard/reliability: the system-level reliability and security suite (the specs in this
// folder) and its harness, reusable by benchmarks and other end-to-end tests.
export { startReliabilityStack, RELIABILITY_POLICY, UPSTREAM_KEYS, type ReliabilityStack, type ReliabilityStackOptions } from './harness/reliability-stack';
export { startServiceProcess, freePort, REPO_ROOT, type ServiceProcess, type ServiceProcessOptions } from './harness/service-process';
export { createScratchDatabase, startThrowawayPostgres, type ScratchDatabase, type ThrowawayPostgres } from './harness/postgres';
export { createLedgerReader, servedRequestId, ledgerLabel, type LedgerReader, type LedgerRow, type LedgerReconciliation, type LedgerKey, type LeaseReservation, type HeldReservation } from './harness/ledger';
export { runBoundedLoad, percentile, type BoundedLoadOptions, type CallOutcome, type LoadResult } from './harness/bounded-load';
export { compareServedWithLedger, type ServedVsLedger } from './harness/served-vs-ledger';
export { rawUnaryCall, rawHttp2Call, grpcFrame, type RawCallResult, type Http2CallResult } from './harness/raw-grpc';
export { createTestPki, type TestPki } from './harness/test-certificates';
export { reportScenario } from './harness/scenario-report';
export { KNOWN_GAPS, type KnownGap } from './known-gaps';
