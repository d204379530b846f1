// The metric instruments Switchyard records, created once per meter, with the bucket boundaries the
// GenAI and RPC conventions advise. Exported through Prometheus and/or OTLP by startTelemetry.
import { metrics, type Attributes, type Meter, type ObservableResult } from '@opentelemetry/api';
import {
  ERROR_TYPE,
  GEN_AI_DURATION_BUCKETS,
  GEN_AI_OPERATION_CHAT,
  GEN_AI_OPERATION_NAME,
  GEN_AI_PROVIDER_NAME,
  GEN_AI_REQUEST_MODEL,
  GEN_AI_RESPONSE_MODEL,
  GEN_AI_TOKEN_TYPE,
  GEN_AI_TOKEN_TYPE_INPUT,
  GEN_AI_TOKEN_TYPE_OUTPUT,
  GEN_AI_TOKEN_USAGE_BUCKETS,
  METRIC_GEN_AI_CLIENT_OPERATION_DURATION,
  METRIC_GEN_AI_CLIENT_TIME_TO_FIRST_CHUNK,
  METRIC_GEN_AI_CLIENT_TOKEN_USAGE,
  METRIC_SWITCHYARD_CIRCUIT_STATE,
  METRIC_SWITCHYARD_COST,
  METRIC_SWITCHYARD_FALLBACKS,
  METRIC_SWITCHYARD_OUTBOX_DEPTH,
  SERVER_ADDRESS,
  SERVER_PORT,
  SWITCHYARD_FALLBACK_FROM,
  SWITCHYARD_FALLBACK_REASON,
  SWITCHYARD_PROJECT,
  SWITCHYARD_TEAM,
} from './gen-ai-attributes';
import type { TokenUsageCounts } from './spans';

/** The attributes every gen_ai.client.* data point carries. */
export interface GenAiMetricAttributes {
  /** `chat` unless stated. */
  operation?: string;
  provider: string;
  requestModel: string;
  responseModel?: string;
  serverAddress?: string;
  serverPort?: number;
  /** The team (bounded cardinality: one value per team). */
  team?: string;
  /** Set on failed operations. */
  errorType?: string;
}

/** Circuit breaker states, exported as 0 (closed), 1 (half open), 2 (open). */
export type CircuitState = 'closed' | 'half_open' | 'open';
const CIRCUIT_STATE_VALUES: Record<CircuitState, number> = { closed: 0, half_open: 1, open: 2 };

/** Switchyard's instruments, with typed recording methods. */
export interface SwitchyardMetrics {
  /** gen_ai.client.token.usage: one input and one output data point (input includes cached tokens). */
  recordTokenUsage(attributes: GenAiMetricAttributes, usage: TokenUsageCounts): void;
  /** gen_ai.client.operation.duration, seconds; pass errorType for failures. */
  recordOperationDuration(attributes: GenAiMetricAttributes, seconds: number): void;
  /** gen_ai.client.operation.time_to_first_chunk, seconds (streaming calls only). */
  recordTimeToFirstChunk(attributes: GenAiMetricAttributes, seconds: number): void;
  /** switchyard.cost.nanos_usd: cost by team, project, provider and model (the router records it once per request). */
  recordCost(cost: { team: string; project?: string; provider: string; model: string; nanosUsd: bigint | number }): void;
  /** switchyard.router.fallbacks: one fallback from a failed candidate to the next. */
  recordFallback(fallback: { provider: string; model: string; reason: string; team?: string }): void;
  /** switchyard.circuit.state: the breaker state of one provider/model. */
  setCircuitState(target: { provider: string; model: string }, state: CircuitState): void;
  /**
   * switchyard.outbox.depth: registers a callback read at each collection (rows waiting in the usage
   * outbox). Returns a function that unregisters it.
   */
  observeOutboxDepth(read: () => number, attributes?: Attributes): () => void;
}

/** Creates the instruments on `meter` (default: the global meter `switchyard`). */
export function createSwitchyardMetrics(meter: Meter = metrics.getMeter('switchyard')): SwitchyardMetrics {
  const tokenUsage = meter.createHistogram(METRIC_GEN_AI_CLIENT_TOKEN_USAGE, {
    description: 'Number of input and output tokens used per GenAI operation.',
    unit: '{token}',
    advice: { explicitBucketBoundaries: GEN_AI_TOKEN_USAGE_BUCKETS },
  });
  const operationDuration = meter.createHistogram(METRIC_GEN_AI_CLIENT_OPERATION_DURATION, {
    description: 'Duration of GenAI operations.',
    unit: 's',
    advice: { explicitBucketBoundaries: GEN_AI_DURATION_BUCKETS },
  });
  const timeToFirstChunk = meter.createHistogram(METRIC_GEN_AI_CLIENT_TIME_TO_FIRST_CHUNK, {
    description: 'Time from issuing a streaming GenAI request to receiving the first chunk.',
    unit: 's',
    advice: { explicitBucketBoundaries: GEN_AI_DURATION_BUCKETS },
  });
  const cost = meter.createCounter(METRIC_SWITCHYARD_COST, {
    description: 'Cost of served requests in nano-USD (1e-9 USD), by team, project, provider and model.',
    unit: '{nanoUSD}',
  });
  const fallbacks = meter.createCounter(METRIC_SWITCHYARD_FALLBACKS, {
    description: 'Fallbacks from a failed candidate model to the next one.',
    unit: '{fallback}',
  });
  const circuitState = meter.createGauge(METRIC_SWITCHYARD_CIRCUIT_STATE, {
    description: 'Circuit breaker state per provider and model: 0 closed, 1 half open, 2 open.',
    unit: '{state}',
  });
  const outboxDepth = meter.createObservableGauge(METRIC_SWITCHYARD_OUTBOX_DEPTH, {
    description: 'Usage records waiting in the outbox for billing.',
    unit: '{record}',
  });

  const genAiAttributes = (a: GenAiMetricAttributes): Attributes => {
    const attributes: Attributes = {
      [GEN_AI_OPERATION_NAME]: a.operation ?? GEN_AI_OPERATION_CHAT,
      [GEN_AI_PROVIDER_NAME]: a.provider,
      [GEN_AI_REQUEST_MODEL]: a.requestModel,
    };
    if (a.responseModel) attributes[GEN_AI_RESPONSE_MODEL] = a.responseModel;
    if (a.serverAddress) attributes[SERVER_ADDRESS] = a.serverAddress;
    if (a.serverPort !== undefined) attributes[SERVER_PORT] = a.serverPort;
    if (a.team) attributes[SWITCHYARD_TEAM] = a.team;
    if (a.errorType) attributes[ERROR_TYPE] = a.errorType;
    return attributes;
  };

  return {
    recordTokenUsage(attributes, usage) {
      const base = genAiAttributes(attributes);
      const input = Number(usage.inputTokens ?? 0) + Number(usage.cachedInputTokens ?? 0) + Number(usage.cacheWriteInputTokens ?? 0);
      tokenUsage.record(input, { ...base, [GEN_AI_TOKEN_TYPE]: GEN_AI_TOKEN_TYPE_INPUT });
      tokenUsage.record(Number(usage.outputTokens ?? 0), { ...base, [GEN_AI_TOKEN_TYPE]: GEN_AI_TOKEN_TYPE_OUTPUT });
    },
    recordOperationDuration(attributes, seconds) {
      operationDuration.record(seconds, genAiAttributes(attributes));
    },
    recordTimeToFirstChunk(attributes, seconds) {
      timeToFirstChunk.record(seconds, genAiAttributes(attributes));
    },
    recordCost(c) {
      const attributes: Attributes = { [SWITCHYARD_TEAM]: c.team, [GEN_AI_PROVIDER_NAME]: c.provider, [GEN_AI_REQUEST_MODEL]: c.model };
      if (c.project) attributes[SWITCHYARD_PROJECT] = c.project;
      cost.add(Number(c.nanosUsd), attributes);
    },
    recordFallback(f) {
      const attributes: Attributes = { [SWITCHYARD_FALLBACK_FROM]: `${f.provider}/${f.model}`, [SWITCHYARD_FALLBACK_REASON]: f.reason };
      if (f.team) attributes[SWITCHYARD_TEAM] = f.team;
      fallbacks.add(1, attributes);
    },
    setCircuitState(target, state) {
      circuitState.record(CIRCUIT_STATE_VALUES[state], { [GEN_AI_PROVIDER_NAME]: target.provider, [GEN_AI_REQUEST_MODEL]: target.model });
    },
    observeOutboxDepth(read, attributes = {}) {
      const callback = (result: ObservableResult) => result.observe(read(), attributes);
      outboxDepth.addCallback(callback);
      return () => outboxDepth.removeCallback(callback);
    },
  };
}
