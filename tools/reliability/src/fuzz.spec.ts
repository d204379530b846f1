// Property-based tests (fast-check) over the translators and the request validator:
// - in process: the Chat Completions translators of @switchyard/openai-chat (request, reply,
//   stream) and provider-kit's capability guard, on arbitrary input: a typed refusal or a
//   well-formed result, never another exception;
// - across processes: the router's validator (ExplainRoute and Generate), the Anthropic adapter's
//   translators and the HTTP edge's, on arbitrary requests: never INTERNAL/UNKNOWN (HTTP 500), and
//   every process stays up.
// Run counts are bounded for CI; RELIABILITY_FUZZ_RUNS multiplies them, FC_SEED replays a run.
import { create, toJsonString } from '@bufbuild/protobuf';
import { provider } from '@switchyard/contracts';
import { ServiceFailure } from '@switchyard/grpc-kit';
import { COMPATIBLE_DIALECT, createChatStreamTranslator, fromChatCompletion, OPENAI_DIALECT, toChatCompletionRequest, type ChatCompletion, type ChatCompletionChunk } from '@switchyard/openai-chat';
import { checkModelSupports, RequestTranslationError, UpstreamProtocolError, type ServedModel } from '@switchyard/provider-kit';
import { createProviderClient, createRouterClient, SwitchyardError, type ProviderServiceClient, type RouterServiceClient } from '@switchyard/sdk';
import fc from 'fast-check';
import { startReliabilityStack, type ReliabilityStack } from './harness/reliability-stack';
import { reportScenario } from './harness/scenario-report';
import {
  chatCompletionBody,
  generationParams,
  jsonValue,
  plausibleChatCompletionBody,
  plausibleProviderRequest,
  plausibleRoutedRequest,
  providerGenerateRequest,
  routedRequestFields,
} from './request-arbitraries';

const mostlyValid = <T, U>(plausible: fc.Arbitrary<T>, hostile: fc.Arbitrary<U>) => fc.oneof({ weight: 1, arbitrary: plausible }, { weight: 1, arbitrary: hostile });

const scale = Number(process.env.RELIABILITY_FUZZ_RUNS ?? 1);
const runs = (n: number) => ({ numRuns: Math.max(1, Math.round(n * scale)), ...(process.env.FC_SEED ? { seed: Number(process.env.FC_SEED) } : {}) });
const tally: Record<string, number> = {};
const count = (name: string) => (tally[name] = (tally[name] ?? 0) + 1);

afterAll(() => reportScenario('fuzz', tally));

describe('fuzz, in process: Chat Completions translators and the capability guard', () => {
  it('toChatCompletionRequest: a JSON-serialisable body or a RequestTranslationError naming a field', () => {
    fc.assert(
      fc.property(providerGenerateRequest, fc.boolean(), fc.boolean(), (request, stream, compatible) => {
        count('toChatCompletionRequest');
        let body;
        try {
          body = toChatCompletionRequest(request, { dialect: compatible ? COMPATIBLE_DIALECT : OPENAI_DIALECT, stream });
        } catch (error) {
          if (error instanceof RequestTranslationError && error.field.length > 0) return;
          throw error;
        }
        const json = JSON.parse(JSON.stringify(body)) as { model: string; messages: unknown[]; stream?: boolean };
        expect(json.model).toBe(request.model);
        expect(json.messages.length).toBeGreaterThan(0);
        expect(Boolean(json.stream)).toBe(stream);
      }),
      runs(1500),
    );
  });

  const completion: fc.Arbitrary<unknown> = fc.oneof(
    jsonValue,
    fc.record(
      {
        id: fc.oneof(fc.string(), fc.integer()),
        model: fc.oneof(fc.string(), fc.constant(null)),
        choices: fc.oneof(
          fc.array(
            fc.record(
              {
                index: fc.oneof(fc.integer({ min: -1, max: 2 }), fc.constant(null)),
                message: fc.oneof(
                  fc.record(
                    {
                      role: fc.constant('assistant'),
                      content: fc.oneof(fc.string(), fc.constant(null)),
                      refusal: fc.oneof(fc.string(), fc.constant(null)),
                      tool_calls: fc.array(fc.record({ id: fc.string(), type: fc.constantFrom('function', 'custom'), function: fc.option(fc.record({ name: fc.string(), arguments: fc.string() }), { nil: undefined }) }), { maxLength: 2 }),
                    },
                    { requiredKeys: [] },
                  ),
                  jsonValue,
                ),
                finish_reason: fc.oneof(fc.constantFrom('stop', 'length', 'tool_calls', 'content_filter', 'weird'), fc.constant(null)),
              },
              { requiredKeys: [] },
            ),
            { maxLength: 2 },
          ),
          jsonValue,
        ),
        usage: fc.oneof(
          fc.record(
            {
              prompt_tokens: fc.oneof(fc.integer(), fc.double(), fc.constant(null)),
              completion_tokens: fc.oneof(fc.integer(), fc.constant(-5)),
              total_tokens: fc.integer(),
              prompt_tokens_details: fc.record({ cached_tokens: fc.oneof(fc.integer(), fc.constant(null)) }, { requiredKeys: [] }),
            },
            { requiredKeys: [] },
          ),
          jsonValue,
        ),
      },
      { requiredKeys: [] },
    ),
  );

  it('fromChatCompletion on any upstream body: a valid GenerateResponse or an UpstreamProtocolError', () => {
    fc.assert(
      fc.property(completion, (body) => {
        count('fromChatCompletion');
        let result;
        try {
          result = fromChatCompletion(body as ChatCompletion);
        } catch (error) {
          if (error instanceof UpstreamProtocolError) return;
          throw error;
        }
        // It must be a message the contract can carry (create + serialise).
        toJsonString(provider.GenerateResponseSchema, create(provider.GenerateResponseSchema, result));
      }),
      runs(1500),
    );
  });

  const chunk: fc.Arbitrary<unknown> = fc.oneof(
    { weight: 1, arbitrary: jsonValue },
    {
      weight: 4,
      arbitrary: fc.record(
        {
          id: fc.string(),
          model: fc.string(),
          choices: fc.oneof(
            fc.array(
              fc.record(
                {
                  index: fc.oneof(fc.integer({ min: 0, max: 1 }), fc.constant(undefined)),
                  delta: fc.oneof(
                    fc.record(
                      {
                        content: fc.oneof(fc.string(), fc.constant(null)),
                        refusal: fc.oneof(fc.string(), fc.constant(null)),
                        tool_calls: fc.array(fc.record({ index: fc.oneof(fc.integer({ min: -1, max: 3 }), fc.constant(undefined)), id: fc.string(), function: fc.record({ name: fc.string(), arguments: fc.string() }, { requiredKeys: [] }) }, { requiredKeys: [] }), { maxLength: 2 }),
                      },
                      { requiredKeys: [] },
                    ),
                    jsonValue,
                  ),
                  finish_reason: fc.oneof(fc.constantFrom('stop', 'length', 'tool_calls'), fc.constant(null)),
                },
                { requiredKeys: [] },
              ),
              { maxLength: 2 },
            ),
            jsonValue,
          ),
          usage: fc.oneof(fc.record({ prompt_tokens: fc.integer({ min: 0, max: 1e6 }), completion_tokens: fc.integer({ min: 0, max: 1e6 }) }), fc.constant(null)),
        },
        { requiredKeys: [] },
      ),
    },
  );

  it('the stream translator on any chunk sequence: deltas the contract can carry, or an UpstreamProtocolError; delivered characters add up', () => {
    fc.assert(
      fc.property(fc.array(chunk, { maxLength: 8 }), (chunks) => {
        count('chatStreamTranslator');
        const translator = createChatStreamTranslator();
        let delivered = 0;
        for (const c of chunks) {
          let events;
          try {
            events = translator.accept(c as ChatCompletionChunk);
          } catch (error) {
            if (error instanceof UpstreamProtocolError) return;
            throw error;
          }
          for (const event of events) {
            const message = create(provider.StreamGenerateResponseSchema, event);
            toJsonString(provider.StreamGenerateResponseSchema, message);
            if (message.event.case === 'delta') delivered += message.event.value.text.length + (message.event.value.toolCall?.argumentsJsonDelta.length ?? 0);
          }
        }
        expect(translator.summary().deliveredCharacters).toBe(delivered);
      }),
      runs(1500),
    );
  });

  it('checkModelSupports: returns, or refuses with INVALID_ARGUMENT naming a field; a model that can do everything never refuses', () => {
    const capabilities = fc.record({
      contextWindowTokens: fc.integer({ min: 1, max: 2_000_000 }),
      maxOutputTokens: fc.integer({ min: 1, max: 200_000 }),
      tools: fc.boolean(),
      jsonOutput: fc.boolean(),
      structuredOutput: fc.boolean(),
      vision: fc.boolean(),
      streaming: fc.boolean(),
    });
    fc.assert(
      fc.property(providerGenerateRequest, generationParams, capabilities, fc.boolean(), (request, params, caps, stream) => {
        count('checkModelSupports');
        const model = { id: 'm', capabilities: caps } as unknown as ServedModel;
        const input = { messages: request.messages, params };
        try {
          checkModelSupports(input, model, { stream });
        } catch (error) {
          expect(error).toBeInstanceOf(ServiceFailure);
          expect((error as ServiceFailure).code).toBe(3);
          expect((error as ServiceFailure).details.fieldViolations?.[0]?.field).toBeTruthy();
        }
        const everything = { id: 'm', capabilities: { ...caps, tools: true, jsonOutput: true, structuredOutput: true, vision: true, streaming: true, maxOutputTokens: 2 ** 32 } } as unknown as ServedModel;
        expect(() => checkModelSupports(input, everything, { stream })).not.toThrow();
      }),
      runs(1500),
    );
  });
});

describe('fuzz, across processes: the router validator, the Anthropic adapter and the HTTP edge', () => {
  let stack: ReliabilityStack;
  let routerClient: RouterServiceClient;
  let anthropic: ProviderServiceClient;
  const codes: Record<string, number> = {};
  const allowed = new Set(['OK', 'INVALID_ARGUMENT', 'PERMISSION_DENIED', 'FAILED_PRECONDITION', 'RESOURCE_EXHAUSTED', 'UNAVAILABLE']);

  beforeAll(async () => {
    stack = await startReliabilityStack({ label: 'fuzz', teams: ['fuzz'], edge: true });
    routerClient = createRouterClient(stack.routers[0]!.address, { apiKey: stack.keys.fuzz, timeoutMs: 15_000 });
    anthropic = createProviderClient(stack.adapters.anthropic!.address, { apiKey: stack.keys.service, timeoutMs: 15_000 });
  });

  afterAll(async () => {
    routerClient?.close();
    anthropic?.close();
    reportScenario('fuzz/codes', codes);
    await stack?.close();
  });

  const outcome = async (label: string, call: () => Promise<unknown>) => {
    let code = 'OK';
    try {
      await call();
    } catch (error) {
      if (!(error instanceof SwitchyardError)) throw error;
      code = error.codeName;
      // A refusal says what is wrong; the opaque fallback means an unexpected exception inside.
      expect(error.message).not.toBe('internal error');
    }
    codes[`${label} ${code}`] = (codes[`${label} ${code}`] ?? 0) + 1;
    count(label);
    expect(`${label}: ${allowed.has(code)} (${code})`).toBe(`${label}: true (${code})`);
  };

  it('router ExplainRoute (validate, read, classify, choose) on arbitrary requests: never INTERNAL', async () => {
    await fc.assert(
      fc.asyncProperty(mostlyValid(plausibleRoutedRequest, routedRequestFields), (request) => outcome('router.ExplainRoute', () => routerClient.explainRoute(request as never))),
      runs(300),
    );
  });

  it('router Generate on arbitrary requests: never INTERNAL, and only served requests are billed', async () => {
    let served = 0;
    await fc.assert(
      fc.asyncProperty(mostlyValid(plausibleRoutedRequest, routedRequestFields), async (request) => {
        const before = codes['router.Generate OK'] ?? 0;
        const context = 'context' in request ? request.context : undefined;
        await outcome('router.Generate', () => routerClient.generate({ ...(request as object), context: { ...(context ?? {}), requestId: '' } } as never));
        served += (codes['router.Generate OK'] ?? 0) - before;
      }),
      runs(120),
    );
    const rows = await stack.ledger.waitFor('fuzz', (r) => r.length >= served, 15_000);
    expect(rows.length).toBe(served);
  });

  it('Anthropic adapter Generate (its translators) on arbitrary requests: never INTERNAL', async () => {
    await fc.assert(
      fc.asyncProperty(mostlyValid(plausibleProviderRequest, providerGenerateRequest), (request) => outcome('adapter-anthropic.Generate', () => anthropic.generate({ ...request, model: 'claude-haiku-4-5' }))),
      runs(200),
    );
  });

  it('HTTP edge /v1/chat/completions on arbitrary JSON bodies: never a 500', async () => {
    await fc.assert(
      fc.asyncProperty(mostlyValid(plausibleChatCompletionBody, chatCompletionBody), async (body) => {
        const response = await fetch(`${stack.edge!.address}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.keys.fuzz}` },
          body: JSON.stringify(body),
        });
        await response.arrayBuffer();
        const key = `edge ${response.status}`;
        codes[key] = (codes[key] ?? 0) + 1;
        count('edge.chatCompletions');
        expect(`${response.status < 500 || response.status === 503 || response.status === 504}: ${response.status}`).toBe(`true: ${response.status}`);
      }),
      runs(200),
    );
  });

  it('every process is still up', () => {
    expect(stack.processes().filter((p) => p.exited()).map((p) => p.name)).toEqual([]);
  });
});
