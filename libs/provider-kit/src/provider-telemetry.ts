// The adapter's part of a request's trace, in one place for every adapter: each Generate and
// StreamGenerate runs inside a `chat {model}` CLIENT span (the upstream HTTP span that the upstream
// fetch makes becomes its child) carrying the GenAI request and response attributes, and
// feeds the gen_ai.client.* metrics. Prompt and completion text go on the span only when the operator
// turned content capture on (the telemetry library's switch).
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { Span } from '@opentelemetry/api';
import { common, type provider } from '@switchyard/contracts';
import { ServiceFailure } from '@switchyard/grpc-kit';
import { messageText, type ProviderServiceImplementation, type ServerCallContext } from '@switchyard/sdk';
import {
  createSwitchyardMetrics,
  currentAttribution,
  describeErrorType,
  ERROR_TYPE,
  isContentCaptureEnabled,
  recordGenAiContent,
  setGenAiResponseAttributes,
  withGenAiSpan,
  withGenAiSpanStream,
  type GenAiMetricAttributes,
  type GenAiRequestInfo,
  type SwitchyardMetrics,
  type TokenUsageCounts,
} from '@switchyard/telemetry';

/** Options of {@link instrumentProviderService}. */
export interface ProviderTelemetryOptions {
  /** `gen_ai.provider.name`: the provider as Switchyard names it (the served catalog's provider, e.g. `openai`, `vllm-qwen`). */
  provider: string;
  /** The upstream API root from the adapter's config; its host and port become `server.address` / `server.port`. */
  upstreamBaseUrl: string;
  /** Where the gen_ai.client.* measurements go; default instruments on the global meter (set up by `@switchyard/telemetry/register`). */
  metrics?: SwitchyardMetrics;
  /** Monotonic clock in ms for durations (default `performance.now`). */
  now?: () => number;
}

type GenerationRequest = provider.GenerateRequest | provider.StreamGenerateRequest;
type StreamEvent = MessageInitShape<typeof provider.StreamGenerateResponseSchema>;
type UsageInit = MessageInitShape<typeof common.TokenUsageSchema>;

const ROLE_NAMES: Partial<Record<common.Role, string>> = {
  [common.Role.SYSTEM]: 'system',
  [common.Role.USER]: 'user',
  [common.Role.ASSISTANT]: 'assistant',
  [common.Role.TOOL]: 'tool',
};

/** `server.address` and `server.port` of an upstream API root (brackets of an IPv6 host removed). */
export function upstreamServerAttributes(baseUrl: string): { serverAddress?: string; serverPort?: number } {
  try {
    const url = new URL(baseUrl);
    const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : url.protocol === 'http:' ? 80 : undefined;
    return { serverAddress: url.hostname.replace(/^\[(.*)\]$/, '$1'), serverPort: port };
  } catch {
    return {};
  }
}

/**
 * Wraps an adapter's ProviderService so every Generate and StreamGenerate is traced and measured the
 * same way: a `chat {model}` span with provider, model, sampling parameters, upstream host and
 * request id; on success the response model and id, finish reason and usage (cached and reasoning
 * tokens included); on failure `error.type` (and the partial usage of a broken stream). Token usage,
 * operation duration and, for streams, time to first chunk go to the gen_ai.client.* histograms with
 * the team from the router's baggage. ListModels passes through untouched.
 */
export function instrumentProviderService(implementation: ProviderServiceImplementation, options: ProviderTelemetryOptions): ProviderServiceImplementation {
  const metrics = options.metrics ?? createSwitchyardMetrics();
  const now = options.now ?? (() => performance.now());
  const server = upstreamServerAttributes(options.upstreamBaseUrl);

  const requestInfo = (request: GenerationRequest): GenAiRequestInfo => ({
    provider: options.provider,
    model: request.model,
    maxTokens: request.params?.maxOutputTokens,
    temperature: request.params?.temperature,
    topP: request.params?.topP,
    ...server,
    requestId: request.requestId || undefined,
  });
  const metricAttributes = (request: GenerationRequest, team: string | undefined): GenAiMetricAttributes => ({
    provider: options.provider,
    requestModel: request.model,
    ...server,
    team,
  });
  const secondsSince = (started: number) => (now() - started) / 1000;

  return {
    generate(request: provider.GenerateRequest, context: ServerCallContext) {
      return withGenAiSpan(requestInfo(request), async (span) => {
        const started = now();
        const base = metricAttributes(request, currentAttribution()?.team);
        captureInput(span, request);
        try {
          const response = await implementation.generate(request, context);
          const finishReasons = response.providerFinishReason ? [response.providerFinishReason] : undefined;
          setGenAiResponseAttributes(span, {
            responseModel: response.responseModel,
            responseId: response.responseId,
            finishReasons,
            usage: response.usage ? usageCounts(response.usage) : undefined,
          });
          if (isContentCaptureEnabled()) {
            recordGenAiContent(span, { output: [{ role: 'assistant', text: initText(response.message), finishReason: response.providerFinishReason }] });
          }
          const attributes = { ...base, responseModel: response.responseModel || undefined };
          if (response.usage) metrics.recordTokenUsage(attributes, usageCounts(response.usage));
          metrics.recordOperationDuration(attributes, secondsSince(started));
          return response;
        } catch (error) {
          recordPartialUsage(span, error, base, metrics);
          metrics.recordOperationDuration({ ...base, errorType: describeErrorType(error) }, secondsSince(started));
          throw error;
        }
      });
    },

    streamGenerate(request: provider.StreamGenerateRequest, context: ServerCallContext) {
      return withGenAiSpanStream(requestInfo(request), (span) => {
        captureInput(span, request);
        return observeStream(span, implementation.streamGenerate(request, context), {
          base: metricAttributes(request, currentAttribution()?.team),
          metrics,
          now,
        });
      });
    },

    listModels(request: provider.ListModelsRequest, context: ServerCallContext) {
      return implementation.listModels(request, context);
    },
  };
}

/** Follows a stream to its final event, then sets the response attributes and records the metrics. */
async function* observeStream(
  span: Span,
  events: AsyncIterable<StreamEvent>,
  options: { base: GenAiMetricAttributes; metrics: SwitchyardMetrics; now: () => number },
): AsyncGenerator<StreamEvent> {
  const { base, metrics, now } = options;
  const started = now();
  let firstChunkSeconds: number | undefined;
  let final: MessageInitShape<typeof provider.StreamFinalSchema> | undefined;
  let completion = isContentCaptureEnabled() ? '' : undefined;
  let failure: unknown;
  let ended = false;
  try {
    for await (const item of events) {
      firstChunkSeconds ??= (now() - started) / 1000;
      const event = item.event;
      if (event?.case === 'final') final = event.value;
      else if (event?.case === 'delta' && completion !== undefined) completion += event.value.text ?? '';
      yield item;
    }
    ended = true;
  } catch (error) {
    failure = error;
    throw error;
  } finally {
    // Runs before the span ends, whether the stream finished, failed or was abandoned by the caller.
    const duration = (now() - started) / 1000;
    if (final) {
      const finishReasons = final.providerFinishReason ? [final.providerFinishReason] : undefined;
      setGenAiResponseAttributes(span, { responseModel: final.responseModel, responseId: final.responseId, finishReasons, usage: final.usage ? usageCounts(final.usage) : undefined });
      if (completion !== undefined) recordGenAiContent(span, { output: [{ role: 'assistant', text: completion, finishReason: final.providerFinishReason }] });
    }
    let errorType: string | undefined;
    if (failure !== undefined) {
      errorType = describeErrorType(failure);
      recordPartialUsage(span, failure, base, metrics);
    } else if (!ended) {
      // The caller stopped reading (a cancelled call): not a success, though nothing failed here.
      errorType = 'CANCELLED';
      span.setAttribute(ERROR_TYPE, errorType);
    }
    const attributes = { ...base, responseModel: final?.responseModel || undefined, errorType };
    if (final?.usage && errorType === undefined) metrics.recordTokenUsage(attributes, usageCounts(final.usage));
    if (firstChunkSeconds !== undefined) metrics.recordTimeToFirstChunk(attributes, firstChunkSeconds);
    metrics.recordOperationDuration(attributes, duration);
  }
}

/** A broken call's partial usage (tokens the provider still charges for) on the span and in the token histogram. */
function recordPartialUsage(span: Span, error: unknown, base: GenAiMetricAttributes, metrics: SwitchyardMetrics): void {
  if (!(error instanceof ServiceFailure)) return;
  const usage = error.details.partialUsage?.usage;
  if (!usage) return;
  setGenAiResponseAttributes(span, { usage: usageCounts(usage) });
  metrics.recordTokenUsage({ ...base, errorType: describeErrorType(error) }, usageCounts(usage));
}

// The prompt goes on the span only when the operator opted in to content capture.
function captureInput(span: Span, request: GenerationRequest): void {
  if (!isContentCaptureEnabled()) return;
  recordGenAiContent(span, { input: request.messages.map((message) => ({ role: ROLE_NAMES[message.role] ?? 'user', text: messageText(message) })) });
}

function usageCounts(usage: UsageInit): TokenUsageCounts {
  return {
    inputTokens: usage.inputTokens,
    outputTokens: usage.outputTokens,
    cachedInputTokens: usage.cachedInputTokens,
    reasoningTokens: usage.reasoningTokens,
    cacheWriteInputTokens: usage.cacheWriteInputTokens,
  };
}

// The text parts of a response message given as an init shape (or a full message).
function initText(message: MessageInitShape<typeof common.ChatMessageSchema> | undefined): string {
  const parts = (message?.parts ?? []) as { kind?: { case?: string; value?: unknown } }[];
  return parts.map((part) => (part.kind?.case === 'text' && typeof part.kind.value === 'string' ? part.kind.value : '')).join('');
}
