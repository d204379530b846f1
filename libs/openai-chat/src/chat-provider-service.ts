import { status as Status } from '@grpc/grpc-js';
import type { provider } from '@switchyard/contracts';
import { invalidArgument, ServiceFailure } from '@switchyard/grpc-kit';
import {
  checkModelSupports,
  durationFromMs,
  partialUsage,
  startUpstreamStopwatch,
  upstreamFailureStatus,
  upstreamTimeoutMs,
  type ServedModelCatalog,
  type UpstreamFailure,
} from '@switchyard/provider-kit';
import type { ProviderServiceImplementation, ServerCallContext } from '@switchyard/sdk';
import type { ChatDialect } from './chat-dialect';
import { toChatCompletionRequest, type GenerationInput } from './chat-request';
import { fromChatCompletion } from './chat-response';
import { createChatStreamTranslator, toStreamFinal, type ChatStreamTranslator } from './chat-stream';
import type { ChatCompletion, ChatCompletionChunk, ChatCompletionRequest } from './chat-wire';
import { RequestTranslationError, UpstreamProtocolError } from '@switchyard/provider-kit';
import { estimateChatUsage } from './usage-estimate';

/** What one upstream request is sent with. */
export interface ChatCallOptions {
  /** Aborts the upstream request (the gRPC call's signal). */
  signal: AbortSignal;
  /** SDK timeout for this request, ms (already cut to the call's deadline). */
  timeoutMs: number;
  /** The router's request id, forwarded as a correlation header. */
  requestId?: string;
}

/**
 * The I/O half of a Chat Completions adapter: the only code that talks to the upstream. Adapters
 * implement it with the official `openai` SDK (`client.chat.completions.create`).
 */
export interface ChatCompletionsTransport {
  /** `POST /chat/completions` without streaming. */
  complete(body: ChatCompletionRequest, options: ChatCallOptions): Promise<ChatCompletion>;
  /** `POST /chat/completions` with `stream: true`; resolves once the upstream answered with a stream. */
  stream(body: ChatCompletionRequest, options: ChatCallOptions): Promise<AsyncIterable<ChatCompletionChunk>>;
}

/** Options of {@link createChatCompletionsService}. */
export interface ChatCompletionsServiceOptions {
  /** The models this deployment serves (and ListModels). */
  catalog: ServedModelCatalog;
  /** The server's wire differences. */
  dialect: ChatDialect;
  /** The SDK-backed transport. */
  transport: ChatCompletionsTransport;
  /** The adapter's `errors.ts`: describes an SDK error, or undefined for errors that are not the SDK's. */
  describeError: (error: unknown) => UpstreamFailure | undefined;
  /** Upstream timeout per request, ms (cut by each call's deadline). */
  upstreamTimeoutMs: number;
  /** Monotonic clock in ms for latencies (default `performance.now`). */
  now?: () => number;
}

/**
 * A ProviderService over any Chat Completions server: translates with the pure translators, calls
 * the transport, streams deltas as chunks arrive, and maps every failure in one place.
 */
export function createChatCompletionsService(options: ChatCompletionsServiceOptions): ProviderServiceImplementation {
  const { catalog, dialect, transport } = options;
  const provider = catalog.provider;

  const failureOf = (error: unknown, context: ServerCallContext, timeoutMs?: number, elapsedMs?: number): ServiceFailure => {
    if (error instanceof ServiceFailure) return error;
    if (error instanceof RequestTranslationError) return invalidArgument(error.field, error.description);
    const failureContext = { provider, signal: context.signal, deadline: context.deadline, timeoutMs };
    if (error instanceof UpstreamProtocolError) return upstreamFailureStatus({ kind: 'protocol', message: error.message }, failureContext);
    let described = options.describeError(error);
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
    let body: ChatCompletionRequest;
    try {
      body = toChatCompletionRequest(request, { dialect, stream, upstreamModel: model.upstreamModel });
    } catch (error) {
      throw failureOf(error, context);
    }
    return { body, timeoutMs: upstreamTimeoutMs(context.remainingMs(), options.upstreamTimeoutMs) };
  };

  return {
    async generate(request: provider.GenerateRequest, context: ServerCallContext) {
      const { body, timeoutMs } = prepare(request, false, context);
      const watch = startUpstreamStopwatch(options.now);
      let completion: ChatCompletion;
      try {
        completion = await transport.complete(body, { signal: context.signal, timeoutMs, requestId: request.requestId || undefined });
      } catch (error) {
        throw failureOf(error, context, timeoutMs, watch.elapsedMs());
      }
      let response;
      try {
        response = fromChatCompletion(completion);
      } catch (error) {
        throw failureOf(error, context);
      }
      if (!response.usage) {
        // The estimate carries `estimated: true`, which the router passes on to the caller and billing.
        const text = completion.choices[0]?.message.content ?? '';
        response.usage = estimateChatUsage(body, text);
      }
      return { ...response, upstreamLatency: durationFromMs(watch.elapsedMs()) };
    },

    async *streamGenerate(request: provider.StreamGenerateRequest, context: ServerCallContext) {
      const { body, timeoutMs } = prepare(request, true, context);
      const watch = startUpstreamStopwatch(options.now);
      let upstream: AsyncIterable<ChatCompletionChunk>;
      try {
        upstream = await transport.stream(body, { signal: context.signal, timeoutMs, requestId: request.requestId || undefined });
      } catch (error) {
        throw failureOf(error, context, timeoutMs, watch.elapsedMs());
      }
      const translator = createChatStreamTranslator();
      try {
        for await (const chunk of upstream) {
          for (const event of translator.accept(chunk)) {
            watch.markFirstDelta();
            yield event;
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
          new ServiceFailure(Status.UNAVAILABLE, `${provider} ended the stream before the answer was complete`, {
            reason: 'UPSTREAM_STREAM_TRUNCATED',
            metadata: { provider },
          }),
          translator,
          body,
        );
      }
      const estimate = summary.usage ? undefined : estimateChatUsage(body, summary.outputText);
      const ttft = watch.timeToFirstTokenMs();
      yield {
        event: {
          case: 'final',
          value: {
            ...toStreamFinal(summary, estimate),
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

// A broken stream carries what was consumed: the upstream's usage if it arrived, else an estimate.
function withPartialUsage(failure: ServiceFailure, translator: ChatStreamTranslator, body: ChatCompletionRequest): ServiceFailure {
  if (failure.code === Status.CANCELLED || failure.details.partialUsage) return failure;
  const summary = translator.summary();
  const usage = summary.usage ?? estimateChatUsage(body, summary.outputText);
  return new ServiceFailure(failure.code, failure.message, {
    ...failure.details,
    partialUsage: partialUsage(usage, summary.usage === undefined, summary.deliveredCharacters),
  });
}
