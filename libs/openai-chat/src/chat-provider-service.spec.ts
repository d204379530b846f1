import { createLogger, type RunningGrpcServer } from '@switchyard/grpc-kit';
import { common } from '@switchyard/contracts';
import { createServedModelCatalog, MINIMAL_CAPABILITIES, startProviderServer } from '@switchyard/provider-kit';
import { createProviderClient, SwitchyardError, type ProviderServiceClient } from '@switchyard/sdk';
import { COMPATIBLE_DIALECT } from './chat-dialect';
import { createChatCompletionsService, type ChatCompletionsTransport } from './chat-provider-service';
import type { ChatCompletion, ChatCompletionChunk } from './chat-wire';

// The service logic over a scripted transport (our own interface, not the SDK): the upstream
// behaviours the fakes do not produce — unary replies without usage, streams that end early.
const completion = (usage: boolean): ChatCompletion => ({
  id: 'cmpl-1',
  model: 'm',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Hello there, friend.' }, finish_reason: 'stop' }],
  ...(usage ? { usage: { prompt_tokens: 10, completion_tokens: 5 } } : {}),
});
const chunk = (content: string | null, finish: string | null = null): ChatCompletionChunk => ({
  id: 'cmpl-2',
  model: 'm',
  choices: [{ index: 0, delta: content === null ? {} : { content }, finish_reason: finish }],
});
async function* chunks(items: ChatCompletionChunk[]): AsyncIterable<ChatCompletionChunk> {
  for (const item of items) yield item;
}

describe('createChatCompletionsService with a scripted transport', () => {
  let script: { complete: () => ChatCompletion; stream: () => ChatCompletionChunk[] };
  let server: RunningGrpcServer;
  let client: ProviderServiceClient;

  beforeAll(async () => {
    const transport: ChatCompletionsTransport = {
      complete: async () => script.complete(),
      stream: async () => chunks(script.stream()),
    };
    const catalog = createServedModelCatalog({
      provider: 'scripted',
      deployment: 'scripted-1',
      models: [{ id: 'm', upstreamModel: 'm', displayName: 'm', capabilities: MINIMAL_CAPABILITIES, selfHosted: true }],
    });
    server = await startProviderServer({
      name: 'scripted',
      listen: '127.0.0.1:0',
      implementation: createChatCompletionsService({ catalog, dialect: COMPATIBLE_DIALECT, transport, describeError: () => undefined, upstreamTimeoutMs: 5000 }),
      logger: createLogger({ service: 'scripted', level: 'silent' }),
    });
    client = createProviderClient(server.address);
  });
  afterAll(async () => {
    client.close();
    await server.shutdown(0);
  });

  const request = { model: 'm', messages: [{ role: common.Role.USER, parts: [{ kind: { case: 'text' as const, value: 'hi' } }] }] };

  it('passes upstream usage through untouched', async () => {
    script = { complete: () => completion(true), stream: () => [] };
    const response = await client.generate(request);
    expect(response.usage).toMatchObject({ inputTokens: 10n, outputTokens: 5n, estimated: false });
  });

  it('estimates unary usage the upstream did not report and marks it estimated', async () => {
    script = { complete: () => completion(false), stream: () => [] };
    const response = await client.generate(request);
    expect(response.usage?.outputTokens).toBe(5n); // "Hello there, friend." in cl100k
    expect(response.usage?.inputTokens).toBeGreaterThan(0n);
    expect(response.usage?.estimated).toBe(true);
  });

  it('estimates streamed usage when a finished stream brought no usage chunk', async () => {
    script = { complete: () => completion(true), stream: () => [chunk('Hello'), chunk(' there', 'stop')] };
    const events = [];
    for await (const event of client.streamGenerate(request)) events.push(event);
    const final = events.at(-1)?.event;
    expect(final?.case === 'final' && final.value.usageEstimated).toBe(true);
    expect(final?.case === 'final' && final.value.usage).toMatchObject({ outputTokens: 2n, estimated: true });
  });

  it('a stream that ends without a finish reason is UNAVAILABLE with estimated PartialUsage', async () => {
    script = { complete: () => completion(true), stream: () => [chunk('Hello'), chunk(' there')] };
    let caught: unknown;
    let deltas = 0;
    try {
      for await (const event of client.streamGenerate(request)) if (event.event.case === 'delta') deltas++;
    } catch (error) {
      caught = error;
    }
    expect(deltas).toBe(2);
    expect(caught).toBeInstanceOf(SwitchyardError);
    expect((caught as SwitchyardError).reason).toBe('UPSTREAM_STREAM_TRUNCATED');
    expect((caught as SwitchyardError).details.partialUsage).toMatchObject({ estimated: true, deliveredCharacters: 11n });
  });

  it('an upstream reply without choices is UNAVAILABLE, not INTERNAL', async () => {
    script = { complete: () => ({ id: 'x', model: 'm', choices: [] }), stream: () => [] };
    await expect(client.generate(request)).rejects.toMatchObject({ codeName: 'UNAVAILABLE', reason: 'UPSTREAM_PROTOCOL_ERROR' });
  });
});
