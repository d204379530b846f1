// Small helpers the services use to make their own spans: a span around a function (sync, async or
// a stream), the GenAI inference span with its request/response/cost attributes, and the attribute
// sets for route.decide and the budget spans.
import {
  context,
  isSpanContextValid,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type AttributeValue,
  type Context,
  type Link,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { describeErrorType } from './error-type';
import {
  ERROR_TYPE,
  GEN_AI_OPERATION_CHAT,
  GEN_AI_OPERATION_NAME,
  GEN_AI_PROVIDER_NAME,
  GEN_AI_REQUEST_MAX_TOKENS,
  GEN_AI_REQUEST_MODEL,
  GEN_AI_REQUEST_STREAM,
  GEN_AI_REQUEST_TEMPERATURE,
  GEN_AI_REQUEST_TOP_P,
  GEN_AI_RESPONSE_FINISH_REASONS,
  GEN_AI_RESPONSE_ID,
  GEN_AI_RESPONSE_MODEL,
  GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
  GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
  GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
  GEN_AI_USAGE_COST,
  GEN_AI_USAGE_INPUT_TOKENS,
  GEN_AI_USAGE_OUTPUT_TOKENS,
  GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
  SERVER_ADDRESS,
  SERVER_PORT,
  SWITCHYARD_ATTEMPT,
  SWITCHYARD_BUDGET_HELD_NANOS_USD,
  SWITCHYARD_BUDGET_RESERVATION_ID,
  SWITCHYARD_CLASSIFIER_DIFFICULTY,
  SWITCHYARD_CLASSIFIER_EXPECTED_OUTPUT_TOKENS,
  SWITCHYARD_CLASSIFIER_SAFETY_SCORE,
  SWITCHYARD_CLASSIFIER_TASK_CLASS,
  SWITCHYARD_COST_BASELINE_MODEL,
  SWITCHYARD_COST_BASELINE_NANOS_USD,
  SWITCHYARD_COST_NANOS_USD,
  SWITCHYARD_COST_PRICE_VERSION,
  SWITCHYARD_FALLBACK_FROM,
  SWITCHYARD_REQUEST_ID,
  SWITCHYARD_ROUTE_CANDIDATES,
  SWITCHYARD_ROUTE_CHOSEN,
  SWITCHYARD_ROUTE_RULE,
  SWITCHYARD_USAGE_ESTIMATED,
} from './gen-ai-attributes';

/** The tracer all Switchyard code uses for its own spans. */
export function switchyardTracer(): Tracer {
  return trace.getTracer('switchyard');
}

/** Options for withSpan / withSpanStream. */
export interface WithSpanOptions {
  /** Span kind; default INTERNAL. */
  kind?: SpanKind;
  /** Links to other traces (billing's ingest span links to the requests it records). */
  links?: Link[];
  /** The parent context; default the active one. */
  parent?: Context;
}

/**
 * Runs `fn` inside a new active span named `name` and ends the span when `fn` returns or its promise
 * settles. A throw or rejection marks the span ERROR with `error.type` and an exception event, then
 * propagates unchanged.
 */
export function withSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => T, options: WithSpanOptions = {}): T {
  const parent = options.parent ?? context.active();
  return switchyardTracer().startActiveSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, attributes, links: options.links }, parent, (span) => {
    let result: T;
    try {
      result = fn(span);
    } catch (error) {
      recordSpanError(span, error);
      span.end();
      throw error;
    }
    if (isPromiseLike(result)) {
      return result.then(
        (value) => {
          span.end();
          return value;
        },
        (error: unknown) => {
          recordSpanError(span, error);
          span.end();
          throw error;
        },
      ) as T;
    }
    span.end();
    return result;
  });
}

/**
 * The streaming form of withSpan: the span starts when iteration starts and ends when the stream
 * ends, fails or the consumer stops early; every pull runs inside the span's context.
 */
export function withSpanStream<T>(name: string, attributes: Attributes, fn: (span: Span) => AsyncIterable<T>, options: WithSpanOptions = {}): AsyncIterable<T> {
  const parent = options.parent ?? context.active();
  return {
    [Symbol.asyncIterator](): AsyncIterator<T> {
      const span = switchyardTracer().startSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, attributes, links: options.links }, parent);
      const ctx = trace.setSpan(parent, span);
      let ended = false;
      const end = (error?: unknown) => {
        if (ended) return;
        ended = true;
        if (error !== undefined) recordSpanError(span, error);
        span.end();
      };
      let iterator: AsyncIterator<T>;
      try {
        iterator = context.with(ctx, () => fn(span)[Symbol.asyncIterator]());
      } catch (error) {
        end(error);
        throw error;
      }
      return {
        next: async () => {
          try {
            const step = await context.with(ctx, () => iterator.next());
            if (step.done) end();
            return step;
          } catch (error) {
            end(error);
            throw error;
          }
        },
        return: async (value?: unknown) => {
          try {
            const close = iterator.return?.bind(iterator);
            return close ? await context.with(ctx, () => close(value)) : { done: true, value: value as T };
          } finally {
            end();
          }
        },
        throw: async (error?: unknown) => {
          try {
            const raise = iterator.throw?.bind(iterator);
            if (!raise) throw error;
            return await context.with(ctx, () => raise(error));
          } catch (thrown) {
            end(thrown);
            throw thrown;
          }
        },
      };
    },
  };
}

/**
 * Marks `span` failed: status ERROR, `error.type` (see describeErrorType, or `errorType` when given)
 * and an exception event with the error's class and message.
 */
export function recordSpanError(span: Span, error: unknown, errorType: string = describeErrorType(error)): void {
  span.setAttribute(ERROR_TYPE, errorType);
  if (error instanceof Error) span.recordException(error);
  else span.recordException({ name: errorType, message: String(error) });
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : errorType });
}

/** The active span's trace id (32 hex), for responses and logs; undefined outside a valid span. */
export function currentTraceId(ctx: Context = context.active()): string | undefined {
  const spanContext = trace.getSpanContext(ctx);
  return spanContext && isSpanContextValid(spanContext) ? spanContext.traceId : undefined;
}

// ---- GenAI inference spans ----

/** What is known about an inference call before it is made. */
export interface GenAiRequestInfo {
  /** `chat` unless stated. */
  operation?: string;
  /** gen_ai.provider.name, e.g. `openai`, `anthropic`, `vllm`. */
  provider: string;
  /** The model asked for. */
  model: string;
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stream?: boolean;
  /** The server called: the adapter (from the router) or the provider's API host (from an adapter). */
  serverAddress?: string;
  serverPort?: number;
  /** The router's request id. */
  requestId?: string;
  /** 1 for the first attempt, 2 for the first fallback... (router only). */
  attempt?: number;
  /** The `provider/model` whose failure led to this attempt (router only). */
  fallbackFrom?: string;
}

/** Token counts in Switchyard's TokenUsage meaning (input excludes cached; output includes reasoning). */
export interface TokenUsageCounts {
  inputTokens?: bigint | number;
  outputTokens?: bigint | number;
  cachedInputTokens?: bigint | number;
  reasoningTokens?: bigint | number;
  cacheWriteInputTokens?: bigint | number;
  /** The counts are an estimate because the upstream reported none. */
  estimated?: boolean;
}

/** What came back from an inference call. */
export interface GenAiResponseInfo {
  responseModel?: string;
  responseId?: string;
  /** The provider's own finish reasons, e.g. `["stop"]`. */
  finishReasons?: readonly string[];
  usage?: TokenUsageCounts;
  /** Streaming only: seconds from the request to the first chunk. */
  timeToFirstChunkSeconds?: number;
}

/** A request's exact cost, as billing records it. */
export interface CostInfo {
  nanosUsd: bigint | number;
  priceVersion?: string;
  baselineNanosUsd?: bigint | number;
  baselineModel?: string;
}

/** The span name the GenAI conventions prescribe: `{operation} {model}`, e.g. `chat gpt-4o-mini`. */
export function genAiSpanName(info: Pick<GenAiRequestInfo, 'operation' | 'model'>): string {
  return `${info.operation ?? GEN_AI_OPERATION_CHAT} ${info.model}`;
}

/** The request-side GenAI attributes (no prompt text, ever). */
export function genAiRequestAttributes(info: GenAiRequestInfo): Attributes {
  const attributes: Attributes = {
    [GEN_AI_OPERATION_NAME]: info.operation ?? GEN_AI_OPERATION_CHAT,
    [GEN_AI_PROVIDER_NAME]: info.provider,
    [GEN_AI_REQUEST_MODEL]: info.model,
  };
  put(attributes, GEN_AI_REQUEST_MAX_TOKENS, info.maxTokens);
  put(attributes, GEN_AI_REQUEST_TEMPERATURE, info.temperature);
  put(attributes, GEN_AI_REQUEST_TOP_P, info.topP);
  put(attributes, GEN_AI_REQUEST_STREAM, info.stream);
  put(attributes, SERVER_ADDRESS, info.serverAddress);
  put(attributes, SERVER_PORT, info.serverPort);
  put(attributes, SWITCHYARD_REQUEST_ID, info.requestId || undefined);
  put(attributes, SWITCHYARD_ATTEMPT, info.attempt);
  put(attributes, SWITCHYARD_FALLBACK_FROM, info.fallbackFrom);
  return attributes;
}

/** Sets the request-side GenAI attributes on an existing span (e.g. the adapter's server span). */
export function setGenAiRequestAttributes(span: Span, info: GenAiRequestInfo): void {
  span.setAttributes(genAiRequestAttributes(info));
}

/**
 * Sets the response-side GenAI attributes, and the cost attributes when `cost` is given.
 * `gen_ai.usage.input_tokens` follows the convention (cached tokens included), so it equals
 * billing's `input_tokens + cached_input_tokens + cache_write_input_tokens`;
 * `gen_ai.usage.cache_read.input_tokens` and `gen_ai.usage.cache_creation.input_tokens` are the cached parts.
 */
export function setGenAiResponseAttributes(span: Span, response: GenAiResponseInfo, cost?: CostInfo): void {
  const attributes: Attributes = {};
  put(attributes, GEN_AI_RESPONSE_MODEL, response.responseModel || undefined);
  put(attributes, GEN_AI_RESPONSE_ID, response.responseId || undefined);
  if (response.finishReasons?.length) attributes[GEN_AI_RESPONSE_FINISH_REASONS] = [...response.finishReasons];
  const usage = response.usage;
  if (usage) {
    const input = toNumber(usage.inputTokens) + toNumber(usage.cachedInputTokens) + toNumber(usage.cacheWriteInputTokens);
    attributes[GEN_AI_USAGE_INPUT_TOKENS] = input;
    attributes[GEN_AI_USAGE_OUTPUT_TOKENS] = toNumber(usage.outputTokens);
    attributes[GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] = toNumber(usage.cachedInputTokens);
    // Only providers with billed prompt-cache writes (Anthropic) report them; others keep the usual set.
    const cacheWrites = toNumber(usage.cacheWriteInputTokens);
    if (cacheWrites > 0) attributes[GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS] = cacheWrites;
    attributes[GEN_AI_USAGE_REASONING_OUTPUT_TOKENS] = toNumber(usage.reasoningTokens);
    // Only set when true, so exact usage (the usual case) adds no attribute.
    if (usage.estimated) attributes[SWITCHYARD_USAGE_ESTIMATED] = true;
  }
  put(attributes, GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK, response.timeToFirstChunkSeconds);
  span.setAttributes(attributes);
  if (cost) setCostAttributes(span, cost);
}

/**
 * The cost attributes: `gen_ai.usage.cost` in USD (a double, for trace backends) and the exact
 * `switchyard.cost.nanos_usd` (an int attribute, the number billing records), with the price version
 * and the baseline's counterfactual cost.
 */
export function costAttributes(cost: CostInfo): Attributes {
  const attributes: Attributes = {
    [GEN_AI_USAGE_COST]: Number(cost.nanosUsd) / 1e9,
    [SWITCHYARD_COST_NANOS_USD]: exactInteger(cost.nanosUsd),
  };
  put(attributes, SWITCHYARD_COST_PRICE_VERSION, cost.priceVersion || undefined);
  if (cost.baselineNanosUsd !== undefined) attributes[SWITCHYARD_COST_BASELINE_NANOS_USD] = exactInteger(cost.baselineNanosUsd);
  put(attributes, SWITCHYARD_COST_BASELINE_MODEL, cost.baselineModel || undefined);
  return attributes;
}

/** Sets the cost attributes on a span (the router's `chat` span and its server span). */
export function setCostAttributes(span: Span, cost: CostInfo): void {
  span.setAttributes(costAttributes(cost));
}

/** Sets gen_ai.response.time_to_first_chunk (seconds). */
export function setTimeToFirstChunk(span: Span, seconds: number): void {
  span.setAttribute(GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK, seconds);
}

/**
 * Runs `fn` inside the inference span: kind CLIENT, named `chat {model}`, with the request
 * attributes. `fn` sets the response and cost attributes on the span it is given.
 */
export function withGenAiSpan<T>(info: GenAiRequestInfo, fn: (span: Span) => T, options: Omit<WithSpanOptions, 'kind'> = {}): T {
  return withSpan(genAiSpanName(info), genAiRequestAttributes(info), fn, { ...options, kind: SpanKind.CLIENT });
}

/**
 * The streaming inference span: like withGenAiSpan over a stream; it also sets
 * gen_ai.response.time_to_first_chunk when the first item arrives.
 */
export function withGenAiSpanStream<T>(info: GenAiRequestInfo, fn: (span: Span) => AsyncIterable<T>, options: Omit<WithSpanOptions, 'kind'> = {}): AsyncIterable<T> {
  return withSpanStream(
    genAiSpanName(info),
    { ...genAiRequestAttributes(info), [GEN_AI_REQUEST_STREAM]: true },
    (span) => markFirstChunk(span, fn(span)),
    { ...options, kind: SpanKind.CLIENT },
  );
}

async function* markFirstChunk<T>(span: Span, items: AsyncIterable<T>): AsyncGenerator<T> {
  const started = performance.now();
  let first = true;
  for await (const item of items) {
    if (first) {
      first = false;
      setTimeToFirstChunk(span, (performance.now() - started) / 1000);
    }
    yield item;
  }
}

// ---- route.decide and budget spans ----

/** What route.decide records (never the prompt). */
export interface RouteDecisionInfo {
  /** Candidates considered, as `provider/model`. */
  candidates: readonly string[];
  /** The chosen `provider/model`. */
  chosen: string;
  /** The policy rule that decided. */
  rule: string;
  classification?: { taskClass?: string; difficulty?: number; safetyScore?: number; expectedOutputTokens?: bigint | number };
}

/** Attributes for the route.decide span. */
export function routeDecisionAttributes(decision: RouteDecisionInfo): Attributes {
  const attributes: Attributes = {
    [SWITCHYARD_ROUTE_CANDIDATES]: [...decision.candidates],
    [SWITCHYARD_ROUTE_CHOSEN]: decision.chosen,
    [SWITCHYARD_ROUTE_RULE]: decision.rule,
  };
  const c = decision.classification;
  if (c) {
    put(attributes, SWITCHYARD_CLASSIFIER_TASK_CLASS, c.taskClass);
    put(attributes, SWITCHYARD_CLASSIFIER_DIFFICULTY, c.difficulty);
    put(attributes, SWITCHYARD_CLASSIFIER_SAFETY_SCORE, c.safetyScore);
    if (c.expectedOutputTokens !== undefined) attributes[SWITCHYARD_CLASSIFIER_EXPECTED_OUTPUT_TOKENS] = toNumber(c.expectedOutputTokens);
  }
  return attributes;
}

/** Attributes for budget.reserve / budget.settle. */
export function budgetAttributes(budget: { reservationId?: string; heldNanosUsd?: bigint | number }): Attributes {
  const attributes: Attributes = {};
  put(attributes, SWITCHYARD_BUDGET_RESERVATION_ID, budget.reservationId || undefined);
  if (budget.heldNanosUsd !== undefined) attributes[SWITCHYARD_BUDGET_HELD_NANOS_USD] = exactInteger(budget.heldNanosUsd);
  return attributes;
}

function put(attributes: Attributes, key: string, value: AttributeValue | undefined): void {
  if (value !== undefined) attributes[key] = value;
}

function toNumber(value: bigint | number | undefined): number {
  return value === undefined ? 0 : Number(value);
}

// An int attribute is exact up to 2^53 nano-USD (about 9 million USD per request); past that the
// decimal string keeps it exact rather than rounding money.
function exactInteger(value: bigint | number): number | string {
  const big = typeof value === 'bigint' ? value : BigInt(Math.trunc(value));
  return big <= BigInt(Number.MAX_SAFE_INTEGER) && big >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(big) : big.toString();
}

function isPromiseLike<T>(value: unknown): value is PromiseLike<T> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
