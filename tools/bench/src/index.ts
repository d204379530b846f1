// @switchyard/bench: the benchmarks behind `switchyard bench` and their shared load generator.
export { runLoad, type LoadOptions, type LoadReport, type LoadTarget, type CallOutcome } from './load-generator';
export { createLatencyHistogram, type LatencyHistogram, type LatencySummary } from './latency-histogram';
export { sdkUnaryTarget, sdkStreamTarget, createRawUnaryTarget, grpcFailure, type RawUnaryTarget, type RawUnaryTargetOptions } from './grpc-load';
export { openAIChatTarget, openAIStreamTarget, runAutocannon, httpFailure, type AutocannonLoadOptions } from './http-load';
export {
  runOverheadBenchmark,
  formatOverheadTable,
  defaultOverheadOptions,
  evaluateTargets,
  SCENARIOS,
  type OverheadOptions,
  type OverheadReport,
  type ScenarioName,
  type ScenarioResult,
} from './overhead';
export { runSoak, formatSoakTable, memoryGrowth, type SoakOptions, type SoakReport } from './soak';
export { summariseProfile, summariseProfileFile, type ProfileSummary } from './cpu-profile-summary';
export { DEFAULT_POSTGRES_ADMIN_URL } from './scratch-postgres';
export { runPathProfile, formatPathProfile, PROFILED_SERVICES, type PathProfileOptions, type PathProfileReport, type ProfiledService } from './path-profile';
