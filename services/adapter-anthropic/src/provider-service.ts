import Anthropic from '@anthropic-ai/sdk';
import type { MessageCreateParamsBase, MessageCreateParamsNonStreaming, MessageCreateParamsStreaming } from '@anthropic-ai/sdk/resources/messages';
import { status as Status } from '@grpc/grpc-js';
import type { common, provider } from '@switchyard/contracts';
import { invalidArgument, ServiceFailure } from '@switchyard/grpc-kit';
import {
  checkModelSupports,
  createUpstreamFetch,
  durationFromMs,
  estimateTokens,
  partialUsage,
  RequestTranslationError,
  startUpstreamStopwatch,
  upstreamFailureStatus,
  UpstreamProtocolError,
  upstreamTimeoutMs,
  type ProtoInit,
  type ServedModelCatalog,
} from '@switchyard/provider-kit';
import type { ProviderServiceImplementation, ServerCallContext } from '@switchyard/sdk';
import { describeAnthropicError } from './errors';
import { toMessagesRequest, type GenerationInput } from './translate/request';
import { fromAnthropicMessage } from './translate/response';
import { createMessageStreamTranslator, toStreamFinal, type MessageStreamSummary, type MessageStreamTranslator } from './translate/stream';

/** Options of {@link createAnthropicClient}. */
export interface AnthropicClientOptions {
  /** From the operator's config only, never from a request. */
  baseURL: string;
  apiKey: string;
  /** Default upstream timeout, ms (each call passes its own, cut to its deadline). */
  timeoutMs: number;
  extraHeaders?: Record<string, string>;
  /** The transport; default provider-kit's keep-alive upstream fetch. */
  fetch?: typeof fetch;
}

/**
 * The official SDK client as this adapter uses it: no SDK retries (the router decides), no SDK
 * logging, and no SDK spans: the adapter's own `chat {model}` span (provider-kit's
 * instrumentProviderService) is the GenAI span, and a second one would count every token twice in
 * trace backends; the HTTP instrumentation already carries the trace context to the upstream.
 * Nothing is read from the environment.
 */
export function createAnthropicClient(options: AnthropicClientOptions): Anthropic {
  return new Anthropic({
    baseURL: options.baseURL,
    apiKey: options.apiKey,
    authToken: null,
    timeout: options.timeoutMs,
    maxRetries: 0,
    logLevel: 'off',
    openTelemetry: { traces: false, propagation: false },
    defaultHeaders: options.extraHeaders,
    // keep-alive node:http instead of the built-in fetch: half the CPU per upstream call (docs/benchmarks.md).
    fetch: options.fetch ?? createUpstreamFetch().fetch,
  });
}

/** Options of {@link createAnthropicProviderService}. */
export interface AnthropicProviderServiceOptions {
  client: Anthropic;
  catalog: ServedModelCatalog;
  /** Upstream timeout per request, ms; each call cuts it to its deadline. */
  upstreamTimeoutMs: number;
  /** `max_tokens` when a request sets none; capped at the model's maximum. */
  defaultMaxOutputTokens: number;
  /** Monotonic clock in ms for latencies (default `performance.now`). */
  now?: () => number;
}

/**
 * ProviderService for Anthropic over the Messages API. This file is the only one that calls the
 * SDK; translation lives in translate/ (pure, golden-tested), error mapping in errors.ts.
 */
export function createAnthropicProviderService(options: AnthropicProviderServiceOptions): ProviderServiceImplementation {
  const { client, catalog } = options;
  const provider = catalog.provider;

  const failureOf = (error: unknown, context: ServerCallContext, timeoutMs?: number, elapsedMs?: number): ServiceFailure => {
    if (error instanceof ServiceFailure) return error;
    if (error instanceof RequestTranslationError) return invalidArgument(error.field, error.description);
    const failureContext = { provider, signal: context.signal, deadline: context.deadline, timeoutMs };
    if (error instanceof UpstreamProtocolError) return upstreamFailureStatus({ kind: 'protocol', message: error.message }, failureContext);
    let described = describeAnthropicError(error);
    // A lost connection once the upstream timeout has run out is that timeout (the SDK cannot always tell).
    if (described?.kind === 'connection' && timeoutMs !== undefined && elapsedMs !== undefined && elapsedMs >= timeoutMs) {
      described = { kind: 'timeout' };
    }
    if (described) return upstreamFailureStatus(described, failureContext);
    if (context.signal.aborted) return upstreamFailureStatus({ kind: 'aborted' }, failureContext);
    throw error;
  };

  const prepare = (request: GenerationInput, stream: boolean, context: ServerCallContext) => {
    const model = catalog.require(request.model);
    checkModelSupports(request, model, { stream });
    let body: MessageCreateParamsBase;
    try {
      body = toMessagesRequest(request, {
        stream,
        upstreamModel: model.upstreamModel,
        defaultMaxTokens: Math.min(options.defaultMaxOutputTokens, model.capabilities.maxOutputTokens),
      });
    } catch (error) {
      throw failureOf(error, context);
    }
    const timeoutMs = upstreamTimeoutMs(context.remainingMs(), options.upstreamTimeoutMs);
    return { body, timeoutMs, requestOptions: { signal: context.signal, timeout: timeoutMs, maxRetries: 0 } };
  };

  return {
    async generate(request: provider.GenerateRequest, context: ServerCallContext) {
      const { body, timeoutMs, requestOptions } = prepare(request, false, context);
      const watch = startUpstreamStopwatch(options.now);
      let message;
      try {
        message = await client.messages.create(body as MessageCreateParamsNonStreaming, requestOptions);
      } catch (error) {
        throw failureOf(error, context, timeoutMs, watch.elapsedMs());
      }
      let response;
      try {
        response = fromAnthropicMessage(message);
      } catch (error) {
        throw failureOf(error, context);
      }
      return { ...response, upstreamLatency: durationFromMs(watch.elapsedMs()) };
    },

    async *streamGenerate(request: provider.StreamGenerateRequest, context: ServerCallContext) {
      const { body, timeoutMs, requestOptions } = prepare(request, true, context);
      const watch = startUpstreamStopwatch(options.now);
      let upstream: AsyncIterable<{ type: string }>;
      try {
        upstream = await client.messages.create(body as MessageCreateParamsStreaming, requestOptions);
      } catch (error) {
        throw failureOf(error, context, timeoutMs, watch.elapsedMs());
      }
      const translator = createMessageStreamTranslator();
      try {
        for await (const event of upstream) {
          for (const out of translator.accept(event)) {
            watch.markFirstDelta();
            yield out;
          }
        }
      } catch (error) {
        throw withPartialUsage(failureOf(error, context, timeoutMs), translator, body);
      }
      // The SDK ends a stream silently when it is aborted, so an abort must be checked here.
      if (context.signal.aborted) throw withPartialUsage(failureOf(new Error('aborted'), context), translator, body);
      const summary = translator.summary();
      if (!summary.finished) {
        throw withPartialUsage(
          new ServiceFailure(Status.UNAVAILABLE, `${provider} ended the stream before message_stop`, {
            reason: 'UPSTREAM_STREAM_TRUNCATED',
            metadata: { provider },
          }),
          translator,
          body,
        );
      }
      const ttft = watch.timeToFirstTokenMs();
      yield {
        event: {
          case: 'final',
          value: {
            ...toStreamFinal(summary, streamUsage(summary, body)),
            ...(ttft !== undefined ? { timeToFirstToken: durationFromMs(ttft) } : {}),
            upstreamLatency: durationFromMs(watch.elapsedMs()),
          },
        },
      };
    },

    listModels(request: provider.ListModelsRequest) {
      return catalog.listModels(request);
    },
  };
}

/** A broken stream carries what was consumed (see streamUsage). */
function withPartialUsage(failure: ServiceFailure, translator: MessageStreamTranslator, body: MessageCreateParamsBase): ServiceFailure {
  if (failure.code === Status.CANCELLED || failure.details.partialUsage) return failure;
  const summary = translator.summary();
  const usage = streamUsage(summary, body);
  return new ServiceFailure(failure.code, failure.message, {
    ...failure.details,
    partialUsage: partialUsage(usage, usage.estimated ?? false, summary.deliveredCharacters),
  });
}

/**
 * A stream's usage. `message_start` reports the input exactly; output is exact only once a
 * `message_delta` reported it, otherwise it is estimated from the delivered text and the usage is
 * marked `estimated` (so the caller and the billing ledger know).
 */
function streamUsage(summary: MessageStreamSummary, body: MessageCreateParamsBase): ProtoInit<typeof common.TokenUsageSchema> {
  if (summary.usage && summary.outputUsageReported) return summary.usage;
  const output = BigInt(estimateTokens(summary.outputText));
  return summary.usage
    ? { ...summary.usage, outputTokens: output, estimated: true }
    : { inputTokens: BigInt(estimateTokens(promptText(body))), outputTokens: output, cachedInputTokens: 0n, reasoningTokens: 0n, cacheWriteInputTokens: 0n, estimated: true };
}

function promptText(body: MessageCreateParamsBase): string {
  return JSON.stringify([body.system ?? '', body.messages, body.tools ?? []]);
}
