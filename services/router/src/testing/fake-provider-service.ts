// Test support: a scriptable ProviderService served over real gRPC (grpc-kit, port 0), standing in
// for an adapter deployment. It fails, stalls or streams on command and records what it saw.
import { status, type ServerCredentials } from '@grpc/grpc-js';
import { common, provider } from '@switchyard/contracts';
import { createLogger, ServiceFailure, startGrpcServer, type RunningGrpcServer } from '@switchyard/grpc-kit';
import { chatMessage, messageText, type ProviderServiceImplementation } from '@switchyard/sdk';

/** One model the fake serves. */
export interface FakeModel {
  id: string;
  contextWindowTokens?: number;
  maxOutputTokens?: number;
  tools?: boolean;
  jsonOutput?: boolean;
  vision?: boolean;
  streaming?: boolean;
  selfHosted?: boolean;
}

/** What the fake does next; tests change it between calls. */
export interface FakeProviderScript {
  /** Failures for the next calls (Generate or StreamGenerate), consumed in order; `times` counts down. */
  failures: Array<{ code: status; message?: string; times: number; retryDelayMs?: number }>;
  /** Delay before the reply (unary) or before the first delta (stream), ms. */
  delayMs: number;
  /** Streams wait for this before sending their final message. */
  holdFinal?: Promise<void>;
  /** Streams break with UNAVAILABLE (and PartialUsage) after this many deltas. */
  breakAfterDeltas?: number;
  /** Output tokens reported per reply. */
  outputTokens: number;
  /** Prompt-cache write tokens reported per reply (as an Anthropic upstream would); default 0. */
  cacheWriteInputTokens?: number;
  /** Replies end on this stop sequence (finish reason STOP, as an Anthropic upstream reports it); default none. */
  stopSequence?: string;
  /**
   * Usage is an estimate (an upstream that reported none): unary replies say so in usage.estimated,
   * stream finals only in the older StreamFinal.usage_estimated, as an adapter predating the field would.
   */
  usageEstimated?: boolean;
}

/** A call the fake received. */
export interface FakeCall {
  method: 'generate' | 'streamGenerate';
  model: string;
  requestId: string;
  /** What remained of the caller's deadline when the call arrived, ms. */
  remainingMs: number;
  traceparent?: string;
  outcome?: string;
}

/** A running fake adapter. */
export interface FakeProvider {
  readonly address: string;
  readonly server: RunningGrpcServer;
  readonly script: FakeProviderScript;
  readonly calls: FakeCall[];
  /** Usage the fake reports for a prompt (deterministic). */
  usageFor(messages: readonly common.ChatMessage[]): { inputTokens: bigint; outputTokens: bigint };
  close(): Promise<void>;
}

/** Options for startFakeProvider. */
export interface FakeProviderOptions {
  provider: string;
  deployment: string;
  models: FakeModel[];
  /** Bind a fixed port (restart tests); default 0. */
  port?: number;
  /** Serve TLS (mutual TLS when the credentials require client certificates); plaintext when absent. */
  credentials?: ServerCredentials;
}

const wait = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (ms <= 0 || signal.aborted) return resolve();
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });

/** Starts a fake ProviderService on 127.0.0.1. */
export async function startFakeProvider(options: FakeProviderOptions): Promise<FakeProvider> {
  const script: FakeProviderScript = { failures: [], delayMs: 0, outputTokens: 12 };
  const calls: FakeCall[] = [];
  const usageFor = (messages: readonly common.ChatMessage[]) => ({
    inputTokens: BigInt(messages.reduce((sum, m) => sum + 4 + Math.ceil(messageText(m).length / 4), 0)),
    outputTokens: BigInt(script.outputTokens),
    cacheWriteInputTokens: BigInt(script.cacheWriteInputTokens ?? 0),
  });
  const nextFailure = () => {
    const failure = script.failures[0];
    if (!failure) return undefined;
    if (--failure.times <= 0) script.failures.shift();
    return new ServiceFailure(failure.code, failure.message ?? `scripted ${status[failure.code]}`, {
      reason: 'SCRIPTED',
      ...(failure.retryDelayMs !== undefined ? { retryDelayMs: failure.retryDelayMs } : {}),
    });
  };
  const known = (model: string) => {
    if (!options.models.some((m) => m.id === model)) throw new ServiceFailure(status.INVALID_ARGUMENT, `model ${model} not served`, { reason: 'MODEL_NOT_SERVED' });
  };

  const implementation: ProviderServiceImplementation = {
    async generate(request, context) {
      const call: FakeCall = { method: 'generate', model: request.model, requestId: request.requestId, remainingMs: context.remainingMs(), traceparent: context.metadata.get('traceparent')[0] as string | undefined };
      calls.push(call);
      known(request.model);
      const failure = nextFailure();
      if (failure) {
        call.outcome = status[failure.code];
        throw failure;
      }
      await wait(script.delayMs, context.signal);
      if (context.signal.aborted) {
        call.outcome = 'CANCELLED';
        throw new ServiceFailure(status.CANCELLED, 'cancelled');
      }
      call.outcome = 'OK';
      const last = request.messages.at(-1);
      return {
        message: chatMessage('assistant', `[${request.model}] answer to: ${messageText(last).slice(0, 40)}`),
        finishReason: common.FinishReason.STOP,
        providerFinishReason: script.stopSequence ? 'stop_sequence' : 'stop',
        stopSequence: script.stopSequence ?? '',
        usage: { ...usageFor(request.messages), estimated: script.usageEstimated ?? false },
        responseModel: `${request.model}-2025`,
        responseId: `resp-${calls.length}`,
      };
    },

    async *streamGenerate(request, context) {
      const call: FakeCall = { method: 'streamGenerate', model: request.model, requestId: request.requestId, remainingMs: context.remainingMs(), traceparent: context.metadata.get('traceparent')[0] as string | undefined };
      calls.push(call);
      known(request.model);
      const failure = nextFailure();
      if (failure) {
        call.outcome = status[failure.code];
        throw failure;
      }
      await wait(script.delayMs, context.signal);
      const words = `[${request.model}] streamed answer to: ${messageText(request.messages.at(-1)).slice(0, 40)}`.split(' ');
      let delivered = 0;
      for (let i = 0; i < words.length; i++) {
        if (context.signal.aborted) return;
        if (script.breakAfterDeltas !== undefined && i === script.breakAfterDeltas) {
          call.outcome = 'BROKEN';
          throw new ServiceFailure(status.UNAVAILABLE, 'upstream connection reset mid-stream', {
            reason: 'UPSTREAM_STREAM_BROKEN',
            partialUsage: { usage: { inputTokens: usageFor(request.messages).inputTokens, outputTokens: BigInt(i) }, estimated: true, deliveredCharacters: BigInt(delivered) },
          });
        }
        const text = i === 0 ? words[i]! : ` ${words[i]}`;
        delivered += text.length;
        yield { event: { case: 'delta', value: { text } } };
      }
      if (script.holdFinal) await script.holdFinal;
      call.outcome = 'OK';
      yield {
        event: {
          case: 'final',
          value: {
            finishReason: common.FinishReason.STOP,
            providerFinishReason: script.stopSequence ? 'stop_sequence' : 'stop',
            stopSequence: script.stopSequence ?? '',
            usage: usageFor(request.messages),
            usageEstimated: script.usageEstimated ?? false,
            responseModel: `${request.model}-2025`,
          },
        },
      };
    },

    async listModels() {
      return {
        models: options.models.map((m) => ({
          ref: { provider: options.provider, model: m.id, deployment: options.deployment },
          displayName: m.id,
          capabilities: {
            contextWindowTokens: BigInt(m.contextWindowTokens ?? 128_000),
            maxOutputTokens: BigInt(m.maxOutputTokens ?? 16_384),
            tools: m.tools ?? true,
            jsonOutput: m.jsonOutput ?? true,
            structuredOutput: m.jsonOutput ?? true,
            vision: m.vision ?? false,
            streaming: m.streaming ?? true,
          },
          selfHosted: m.selfHosted ?? false,
        })),
      };
    },
  };

  const server = await startGrpcServer({
    name: `fake-${options.deployment}`,
    address: `127.0.0.1:${options.port ?? 0}`,
    errorDomain: 'provider.switchyard.dev',
    services: [{ service: provider.ProviderService, implementation }],
    logger: createLogger({ service: 'fake-provider', level: 'silent' }),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  });
  return { address: server.address, server, script, calls, usageFor, close: () => server.shutdown(100) };
}
