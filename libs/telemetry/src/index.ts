/**
 * @switchyard/telemetry — OpenTelemetry for every Switchyard service: the bootstrap (start it first,
 * via `@switchyard/telemetry/register`), GenAI and cost attributes, attribution baggage, metrics and
 * trace ids in logs. The OTLP receiver for tests lives in `@switchyard/telemetry/testing/otlp-receiver`.
 */
export * from './gen-ai-attributes';
export { startTelemetry, getTelemetry, type StartTelemetryOptions, type Telemetry } from './bootstrap';
export {
  resolveTelemetrySettings,
  parseResourceAttributes,
  type TelemetrySettings,
  type TelemetrySettingsOptions,
  type OtlpProtocol,
  type OtlpTarget,
  type SamplerKind,
} from './telemetry-settings';
export {
  withTrustedBaggage,
  withTrustedBaggageStream,
  contextWithAttribution,
  currentAttribution,
  attributionAttributes,
  bindAsyncIterable,
  AttributionSpanProcessor,
  PolicyBaggagePropagator,
  type Attribution,
  type IncomingBaggagePolicy,
} from './attribution';
export {
  withSpan,
  withSpanStream,
  withGenAiSpan,
  withGenAiSpanStream,
  recordSpanError,
  currentTraceId,
  switchyardTracer,
  genAiSpanName,
  genAiRequestAttributes,
  setGenAiRequestAttributes,
  setGenAiResponseAttributes,
  costAttributes,
  setCostAttributes,
  setTimeToFirstChunk,
  routeDecisionAttributes,
  budgetAttributes,
  type WithSpanOptions,
  type GenAiRequestInfo,
  type GenAiResponseInfo,
  type TokenUsageCounts,
  type CostInfo,
  type RouteDecisionInfo,
} from './spans';
export { describeErrorType, grpcStatusName } from './error-type';
export { recordGenAiContent, isContentCaptureEnabled, setContentCapture, type ContentMessage } from './content-capture';
export { createSwitchyardMetrics, type SwitchyardMetrics, type GenAiMetricAttributes, type CircuitState } from './metrics';
export { traceContextMixin, type TraceLogFields } from './log-correlation';
export {
  currentTraceparent,
  linkFromTraceparent,
  usageIngestLinks,
  encodeTraceLinks,
  decodeTraceLinks,
  TRACE_LINKS_METADATA_KEY,
  type RecordedRequest,
} from './trace-links';
export { startHttpClientSpan, type HttpClientSpan } from './http-client-span';
export { StableRpcAttributesSpanProcessor } from './stable-rpc-attributes';
export { serviceIdentityFromEntry, type ServiceIdentity } from './service-identity';
