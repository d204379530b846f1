// @switchyard/testing: wire-faithful fake upstreams that the official SDKs accept, scriptable
// upstream faults, replay of recorded real answers, and a byte-level fault proxy.
export { startFakeOpenAI, openAIDialect, DEFAULT_OPENAI_MODELS, type FakeOpenAIOptions } from './fake-openai/fake-openai';
export {
  startFakeAnthropic,
  anthropicDialect,
  DEFAULT_ANTHROPIC_MODELS,
  type FakeAnthropicOptions,
} from './fake-anthropic/fake-anthropic';
export {
  startFakeUpstream,
  encodeSse,
  type FakeUpstream,
  type FakeUpstreamOptions,
  type RecordedRequest,
  type RecordedOutcome,
  type UpstreamDialect,
  type UpstreamErrorKind,
  type UpstreamErrorResponse,
  type SseMessage,
  type RenderedAnswer,
  type RouteResult,
  type DialectContext,
} from './fake-upstream';
export {
  composeFakeReply,
  lastUserText,
  splitTextDeltas,
  type FakeChatMessage,
  type FakeChatRequest,
  type FakeChatReply,
  type FakeToolSpec,
  type FakeToolChoice,
  type FakeToolCall,
  type FakeResponseFormat,
  type FakeFinishReason,
  type FakeReplyScript,
  type FakeResponder,
} from './fake-reply';
export {
  UPSTREAM_FAULT_KINDS,
  FAULT_HEADER,
  FAULT_DEFAULTS,
  UpstreamFaultPlan,
  parseFaultHeader,
  resolveFaults,
  faultGroup,
  isFaultKind,
  type UpstreamFault,
  type UpstreamFaultKind,
  type UpstreamFaultGroup,
  type ResolvedFaults,
} from './upstream-faults';
export {
  createReplayTable,
  loadGsm8kReplay,
  normalisePrompt,
  type ReplayTable,
  type ReplayAnswer,
  type ReplayEntry,
  type Gsm8kReplayOptions,
} from './replay-table';
export {
  startFaultProxy,
  type FaultProxy,
  type FaultProxyOptions,
  type FaultProxyStats,
  type ProxyToxic,
  type ProxyDirection,
} from './fault-proxy';
export { sampleJsonSchema, type JsonSchema } from './json-schema-sample';
export { countTokens, truncateToTokens } from './token-count';
export * from './conformance';
