// Test support: a ProviderService that forwards to a fake OpenAI upstream over plain HTTP, so
// evaluator tests need no adapter service (and no vendor SDK): real gRPC in, real HTTP out.
import { status as Status } from '@grpc/grpc-js';
import { common, provider } from '@switchyard/contracts';
import { createLogger, resourceExhausted, ServiceFailure, startGrpcServer, unavailable, type RunningGrpcServer } from '@switchyard/grpc-kit';
import { chatMessage, messageText, type ProviderServiceImplementation } from '@switchyard/sdk';

/** Where the fake upstream listens. */
export interface FakeUpstreamTarget {
  /** `http://127.0.0.1:PORT/v1`. */
  baseURL: string;
  apiKey: string;
}

const ROLE_NAMES: Record<number, string> = { [common.Role.SYSTEM]: 'system', [common.Role.USER]: 'user', [common.Role.ASSISTANT]: 'assistant', [common.Role.TOOL]: 'tool' };

interface ChatCompletion {
  model: string;
  choices: Array<{ message: { content: string | null }; finish_reason: string }>;
  usage?: { prompt_tokens: number; completion_tokens: number };
}

/** A Chat Completions client over fetch, as a ProviderService implementation. */
export function createFakeUpstreamProvider(target: FakeUpstreamTarget): ProviderServiceImplementation {
  return {
    async generate(request, context) {
      const params = request.params;
      const response = await fetch(`${target.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${target.apiKey}` },
        body: JSON.stringify({
          model: request.model,
          messages: request.messages.map((message) => ({ role: ROLE_NAMES[message.role] ?? 'user', content: messageText(message) })),
          ...(params?.temperature !== undefined ? { temperature: params.temperature } : {}),
          ...(params?.maxOutputTokens !== undefined ? { max_tokens: params.maxOutputTokens } : {}),
          ...(params?.responseFormat?.type === common.ResponseFormatType.JSON_OBJECT ? { response_format: { type: 'json_object' } } : {}),
        }),
        signal: context.signal,
      });
      if (response.status === 429) throw resourceExhausted('upstream rate limited', { reason: 'UPSTREAM_RATE_LIMITED', retryDelayMs: 10 });
      if (response.status >= 500) throw unavailable(`upstream answered ${response.status}`, 'UPSTREAM_UNAVAILABLE');
      if (!response.ok) throw new ServiceFailure(Status.INVALID_ARGUMENT, `upstream answered ${response.status}: ${await response.text()}`, { reason: 'UPSTREAM_REJECTED' });
      const body = (await response.json()) as ChatCompletion;
      return {
        message: chatMessage('assistant', body.choices[0]?.message.content ?? ''),
        finishReason: common.FinishReason.STOP,
        usage: { inputTokens: BigInt(body.usage?.prompt_tokens ?? 0), outputTokens: BigInt(body.usage?.completion_tokens ?? 0) },
        responseModel: body.model,
      };
    },
    // eslint-disable-next-line require-yield
    async *streamGenerate() {
      throw new ServiceFailure(Status.UNIMPLEMENTED, 'the test provider does not stream');
    },
    async listModels() {
      return { models: [] };
    },
  };
}

/** Starts the forwarding ProviderService on a free loopback port. */
export function startFakeUpstreamProvider(target: FakeUpstreamTarget): Promise<RunningGrpcServer> {
  return startGrpcServer({
    name: 'test-provider',
    address: '127.0.0.1:0',
    errorDomain: 'provider.switchyard.dev',
    services: [{ service: provider.ProviderService, implementation: createFakeUpstreamProvider(target) }],
    logger: createLogger({ service: 'test-provider', level: 'silent' }),
    drainGraceMs: 100,
  });
}
