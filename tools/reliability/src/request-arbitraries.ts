// fast-check arbitraries for Switchyard requests: mostly plausible values with the edges mixed in
// (wrong enum numbers, NaN and infinities, huge and zero counts, odd Unicode, deep JSON), so a run
// explores both the accepted and the refused side of every check.
import { create, type JsonObject, type JsonValue } from '@bufbuild/protobuf';
import { common, provider } from '@switchyard/contracts';
import fc from 'fast-check';

const text = fc.oneof(fc.string({ maxLength: 40 }), fc.string({ unit: 'grapheme', maxLength: 20 }), fc.constantFrom('', ' ', '\u0000', '\ud800', 'https://example.com/x', '{"a":1}'));
const name = fc.oneof(fc.constantFrom('lookup', 'get_weather', 'a', 'x'.repeat(65), 'has space', 'dash-ok', ''), fc.string({ maxLength: 12 }));
const number = fc.oneof(fc.double(), fc.constantFrom(0, 1, 2, -1, Number.NaN, Number.POSITIVE_INFINITY, 0.5));

/** JSON values up to a bounded depth (schemas, tool arguments). */
export const jsonValue: fc.Arbitrary<JsonValue> = fc.letrec<{ value: JsonValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.string({ maxLength: 10 }),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 8 }), tie('value'), { maxKeys: 3 }),
  ),
})).value;
const jsonObject = fc.dictionary(fc.constantFrom('type', 'properties', 'required', 'description', 'items', '$ref', 'enum', 'x'), jsonValue, { maxKeys: 4 }) as fc.Arbitrary<JsonObject>;

const image = fc.record({
  source: fc.oneof(
    fc.record({ case: fc.constant('url' as const), value: fc.oneof(fc.constantFrom('https://example.com/a.png', 'http://x/y.png', 'file:///etc/passwd', 'not a url', ''), fc.webUrl()) }),
    fc.record({ case: fc.constant('data' as const), value: fc.uint8Array({ maxLength: 16 }) }),
    fc.constant({ case: undefined }),
  ),
  mediaType: fc.constantFrom('image/png', 'image/jpeg', 'text/html', ''),
  detail: fc.constantFrom('', 'auto', 'low', 'high', 'ultra'),
});

const part = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.record({ case: fc.constant('text' as const), value: text }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.record({ case: fc.constant('image' as const), value: image }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: { case: undefined } }) },
);

const toolCall = fc.record({ id: fc.oneof(fc.constant(''), fc.string({ maxLength: 8 })), name, argumentsJson: fc.oneof(fc.constantFrom('{}', '', '[1]', 'not json', '{"q":"x"}'), jsonValue.map((v) => JSON.stringify(v))) });

/** A ChatMessage: any role number (including unknown ones), parts, tool calls. */
export const chatMessage = fc
  .record({
    role: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(common.Role.USER, common.Role.ASSISTANT, common.Role.SYSTEM, common.Role.TOOL) }, { weight: 1, arbitrary: fc.integer({ min: -2, max: 9 }) }),
    parts: fc.array(part, { maxLength: 3 }),
    toolCalls: fc.array(toolCall, { maxLength: 2 }),
    toolCallId: fc.oneof(fc.constant(''), fc.string({ maxLength: 8 })),
    name: fc.oneof(fc.constant(''), name),
  })
  .map((init) => create(common.ChatMessageSchema, init as never));

/** GenerationParams with every field's edges. */
export const generationParams = fc
  .record(
    {
      maxOutputTokens: fc.oneof(fc.constantFrom(0, 1, 16, 4096, 1_000_001, 4294967295), fc.integer({ min: 0, max: 4294967295 })),
      temperature: number,
      topP: number,
      stopSequences: fc.array(fc.oneof(fc.constant(''), fc.string({ maxLength: 6 })), { maxLength: 6 }),
      responseFormat: fc.record({ type: fc.integer({ min: 0, max: 5 }), jsonSchema: fc.option(jsonObject, { nil: undefined }), schemaName: fc.oneof(fc.constant(''), name), strict: fc.boolean() }),
      tools: fc.array(fc.record({ name, description: fc.string({ maxLength: 20 }), parametersSchema: fc.option(jsonObject, { nil: undefined }), strict: fc.boolean() }), { maxLength: 3 }),
      toolChoice: fc.record({ mode: fc.integer({ min: 0, max: 6 }), toolName: fc.oneof(fc.constant(''), name) }),
      seed: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
    },
    { requiredKeys: [] },
  )
  .map((init) => create(common.GenerationParamsSchema, init as never));

/** A ProviderService GenerateRequest (what an adapter's translators receive). */
export const providerGenerateRequest = fc
  .record({
    model: fc.constantFrom('gpt-4.1-nano', 'claude-haiku-4-5', 'unknown-model', ''),
    messages: fc.array(chatMessage, { maxLength: 4 }),
    params: fc.option(generationParams, { nil: undefined }),
    endUserId: fc.oneof(fc.constant(''), fc.string({ maxLength: 10 })),
    requestId: fc.constantFrom('', 'fuzz-1'),
  })
  .map((init) => create(provider.GenerateRequestSchema, init as never));

const plainText = fc.string({ minLength: 1, maxLength: 60 }).filter((t) => t.trim().length > 0);
/** A conversation that passes validation: an optional system message, then turns ending with the user. */
const plausibleMessages = fc
  .tuple(fc.option(plainText, { nil: undefined }), fc.array(fc.tuple(plainText, plainText), { maxLength: 2 }), plainText)
  .map(([system, turns, last]) => [
    ...(system ? [create(common.ChatMessageSchema, { role: common.Role.SYSTEM, parts: [{ kind: { case: 'text', value: system } }] })] : []),
    ...turns.flatMap(([u, a]) => [
      create(common.ChatMessageSchema, { role: common.Role.USER, parts: [{ kind: { case: 'text', value: u } }] }),
      create(common.ChatMessageSchema, { role: common.Role.ASSISTANT, parts: [{ kind: { case: 'text', value: a } }] }),
    ]),
    create(common.ChatMessageSchema, { role: common.Role.USER, parts: [{ kind: { case: 'text', value: last } }] }),
  ]);
const plausibleParams = fc
  .record(
    {
      maxOutputTokens: fc.integer({ min: 1, max: 512 }),
      temperature: fc.double({ min: 0, max: 2, noNaN: true }),
      topP: fc.double({ min: 0.01, max: 1, noNaN: true }),
      stopSequences: fc.array(fc.string({ minLength: 1, maxLength: 5 }), { maxLength: 4 }),
    },
    { requiredKeys: [] },
  )
  .map((init) => create(common.GenerationParamsSchema, init));

/** Requests that mostly pass validation (so routing and the adapters run too), some that do not. */
export const plausibleRoutedRequest = fc.record({
  messages: plausibleMessages,
  params: fc.option(plausibleParams, { nil: undefined }),
  model: fc.constantFrom('', 'switchyard/auto', 'openai/gpt-4.1-nano', 'anthropic/claude-haiku-4-5'),
});

/** A ProviderService GenerateRequest that mostly translates. */
export const plausibleProviderRequest = fc
  .record({ messages: plausibleMessages, params: fc.option(plausibleParams, { nil: undefined }) })
  .map((init) => create(provider.GenerateRequestSchema, { ...init, model: 'claude-haiku-4-5' }));

/** Chat Completions bodies that the edge should accept. */
export const plausibleChatCompletionBody = fc.record(
  {
    model: fc.constantFrom('gpt-4.1-nano', 'switchyard/auto', 'claude-haiku-4-5'),
    messages: fc.array(fc.record({ role: fc.constantFrom('user', 'system'), content: plainText }), { minLength: 1, maxLength: 3 }).map((m) => [...m, { role: 'user', content: 'and?' }]),
    max_tokens: fc.integer({ min: 1, max: 256 }),
    temperature: fc.double({ min: 0, max: 2, noNaN: true }),
  },
  { requiredKeys: ['model', 'messages'] },
);

/** The fields of a router request (Generate, StreamGenerate and ExplainRoute share them). */
export const routedRequestFields = fc.record({
  messages: fc.array(chatMessage, { maxLength: 4 }),
  params: fc.option(generationParams, { nil: undefined }),
  model: fc.oneof(fc.constantFrom('', 'switchyard/auto', 'openai/gpt-4.1-nano', 'anthropic/claude-haiku-4-5', 'gpt-9', 'a b', 'openai/*'), fc.string({ maxLength: 12 })),
  context: fc.option(
    fc.record({
      requestId: fc.oneof(fc.constant(''), fc.uuid(), fc.string({ maxLength: 12 })),
      project: fc.oneof(fc.constant(''), fc.string({ maxLength: 8 })),
      featureTags: fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }),
      endUserId: fc.oneof(fc.constant(''), fc.emailAddress(), fc.string({ maxLength: 8 })),
    }),
    { nil: undefined },
  ),
  routing: fc.option(
    fc.record({
      qualityTarget: number,
      maxCostNanosUsd: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
      latencyObjective: fc.option(fc.record({ seconds: fc.bigInt({ min: -10n, max: 10n ** 12n }), nanos: fc.integer({ min: -5, max: 2_000_000_000 }) }), { nil: undefined }),
      disableFallback: fc.boolean(),
    }),
    { nil: undefined },
  ),
});

/** Chat Completions request bodies as an OpenAI SDK user (or an attacker) might send them to the edge. */
export const chatCompletionBody = fc.record(
  {
    model: fc.oneof(fc.constantFrom('gpt-4.1-nano', 'switchyard/auto', ''), fc.string({ maxLength: 8 }), fc.integer()),
    messages: fc.oneof(
      fc.array(
        fc.record(
          {
            role: fc.oneof(fc.constantFrom('user', 'system', 'assistant', 'tool', 'developer', 'root'), fc.integer()),
            content: fc.oneof(text, fc.array(fc.record({ type: fc.constantFrom('text', 'image_url', 'audio'), text: text }), { maxLength: 2 }), fc.constant(null), fc.integer()),
            tool_call_id: fc.string({ maxLength: 6 }),
          },
          { requiredKeys: ['role'] },
        ),
        { maxLength: 3 },
      ),
      jsonValue,
    ),
    max_tokens: fc.oneof(fc.integer(), fc.double(), fc.constant('10'), fc.constant(null)),
    temperature: fc.oneof(fc.double({ noNaN: true }), fc.constant('hot')),
    stream: fc.boolean(),
    tools: fc.array(fc.record({ type: fc.constantFrom('function', 'web_search'), function: fc.record({ name, parameters: jsonObject }) }), { maxLength: 2 }),
    response_format: fc.oneof(fc.constant({ type: 'json_object' }), fc.record({ type: fc.constant('json_schema'), json_schema: fc.record({ name, schema: jsonObject }) }), jsonValue),
    n: fc.integer({ min: -1, max: 3 }),
  },
  { requiredKeys: [] },
);
