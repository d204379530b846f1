/** The adapter conformance suite: one suite every ProviderService implementation must pass. */
export { runConformance, type ConformanceOptions } from './run-conformance';
export {
  formatConformanceTable,
  summarizeConformance,
  type ConformanceCaseResult,
  type ConformanceReport,
  type ConformanceStatus,
} from './conformance-report';
export { CONFORMANCE_CASES, PROVIDER_ERROR_DOMAIN, ConformanceFailure, type ConformanceCase, type CaseContext } from './conformance-cases';
export type { FakeControl } from './fake-control';
export {
  startAdapterProcess,
  writeWorkspaceTsconfig,
  freeLoopbackPort,
  type AdapterProcess,
  type AdapterProcessOptions,
} from './adapter-process';
