import { common } from '@switchyard/contracts';
import { createLogger } from '@switchyard/grpc-kit';
import { createRouterClient, messageText, type RouterServiceClient } from '@switchyard/sdk';
import OpenAI from 'openai';
import { startHttpEdge, type RunningHttpEdge } from './edge-server';
import { startFakeRouter, type FakeRouter } from './test-support/fake-router';

const weatherTool = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'Current weather in a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
  strict: true,
};
// A 1×1 transparent PNG.
const PNG_DATA_URL = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';

describe('OpenAI Responses API (POST /v1/responses) with the official openai SDK, against a fake router over real gRPC', () => {
  let fake: FakeRouter;
  let routerClient: RouterServiceClient;
  let edge: RunningHttpEdge;
  let openai: OpenAI;

  const lastRequest = () => fake.calls[fake.calls.length - 1]!.request!;
  const failureOf = (promise: Promise<unknown>) => promise.then(() => new Error('expected a failure'), (error: unknown) => error);

  beforeAll(async () => {
    fake = await startFakeRouter();
    routerClient = createRouterClient(fake.address);
    edge = await startHttpEdge({ router: routerClient, logger: createLogger({ service: 'http-edge', level: 'silent' }) });
    openai = new OpenAI({ baseURL: `${edge.url}/v1`, apiKey: fake.apiKey, maxRetries: 0 });
  });
  afterAll(async () => {
    await edge.close(200);
    routerClient.close();
    await fake.close();
  });

  it('answers a string input with output_text, usage and x-switchyard-* headers', async () => {
    const { data, response } = await openai.responses.create({ model: 'switchyard/auto', input: 'What is the capital of France?', store: false, user: 'end-user-7' }).withResponse();
    const requestId = response.headers.get('x-switchyard-request-id');
    expect(data).toMatchObject({ id: `resp_${requestId}`, object: 'response', status: 'completed', model: 'echo-small', error: null, incomplete_details: null });
    expect(data.output_text).toBe('[echo-small] answer to: What is the capital of France?');
    expect(data.output).toEqual([
      { id: `msg_${requestId}_0`, type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: data.output_text, annotations: [], logprobs: [] }] },
    ]);
    const usage = data.usage!;
    expect(usage.input_tokens).toBeGreaterThan(0);
    expect(usage.output_tokens).toBeGreaterThan(0);
    expect(usage.total_tokens).toBe(usage.input_tokens + usage.output_tokens);
    expect(usage.input_tokens_details.cached_tokens).toBe(0);
    expect(usage.output_tokens_details.reasoning_tokens).toBe(0);
    expect(response.headers.get('x-switchyard-route')).toBe('fake/echo-small');
    expect(BigInt(response.headers.get('x-switchyard-cost-nanos-usd')!)).toBe(BigInt(usage.input_tokens) * 150n + BigInt(usage.output_tokens) * 600n);
    expect(response.headers.get('x-switchyard-trace-id')).toMatch(/^[0-9a-f]{32}$/);
    expect(response.headers.get('x-request-id')).toBe(requestId);
    expect(fake.billed.filter((row) => row.requestId === requestId)).toHaveLength(1);
    const sent = lastRequest();
    expect(sent.messages.map((m) => [m.role, messageText(m)])).toEqual([[common.Role.USER, 'What is the capital of France?']]);
    expect(sent.context).toMatchObject({ requestId, endUserId: 'end-user-7' });
  });

  it('turns instructions and a multi-item input into the router conversation', async () => {
    const data = await openai.responses.create({
      model: 'openai/gpt-4o-mini',
      instructions: 'Be brief.',
      temperature: 0.2,
      top_p: 0.9,
      input: [
        { role: 'developer', content: 'Answer in English.' },
        { role: 'user', content: [{ type: 'input_text', text: 'What is in this image?' }, { type: 'input_image', image_url: PNG_DATA_URL, detail: 'low' }] },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'A dot.', annotations: [] }], id: 'msg_earlier', status: 'completed' },
        { role: 'user', content: 'What colour is it?' },
      ],
    });
    expect(data.output_text).toBe('[gpt-4o-mini] answer to: What colour is it?');
    const sent = lastRequest();
    expect(sent.model).toBe('openai/gpt-4o-mini');
    expect(sent.messages.map((m) => [m.role, messageText(m)])).toEqual([
      [common.Role.SYSTEM, 'Be brief.'],
      [common.Role.SYSTEM, 'Answer in English.'],
      [common.Role.USER, 'What is in this image?'],
      [common.Role.ASSISTANT, 'A dot.'],
      [common.Role.USER, 'What colour is it?'],
    ]);
    const image = sent.messages[2]!.parts[1]!.kind;
    expect(image.case === 'image' && image.value).toMatchObject({ mediaType: 'image/png', detail: 'low' });
    expect(image.case === 'image' && image.value.source.case).toBe('data');
    expect(sent.params).toMatchObject({ temperature: 0.2, topP: 0.9 });
  });

  it('does a function tool round trip: function_call item out, function_call_output in', async () => {
    const first = await openai.responses.create({ model: 'switchyard/auto', input: 'What is the weather in Paris?', tools: [weatherTool] });
    expect(first.status).toBe('completed');
    const call = first.output.find((item) => item.type === 'function_call');
    if (call?.type !== 'function_call') throw new Error('expected a function_call item');
    expect(call).toMatchObject({ type: 'function_call', name: 'get_weather', status: 'completed' });
    expect(call.id).toMatch(/^fc_/);
    expect(call.call_id).toMatch(/^call_/);
    expect(JSON.parse(call.arguments)).toHaveProperty('city');
    expect(first.output_text).toBe('');
    expect(lastRequest().params?.tools[0]).toMatchObject({ name: 'get_weather', strict: true });

    const second = await openai.responses.create({
      model: 'switchyard/auto',
      tools: [weatherTool],
      tool_choice: 'none',
      input: [{ role: 'user', content: 'What is the weather in Paris?' }, call, { type: 'function_call_output', call_id: call.call_id, output: '{"temperature_c": 21}' }],
    });
    expect(second.output_text).toBe('[echo-small] answer using tool result: {"temperature_c": 21}');
    const sent = lastRequest();
    expect(sent.messages[1]).toMatchObject({ role: common.Role.ASSISTANT, toolCalls: [{ id: call.call_id, name: 'get_weather', argumentsJson: call.arguments }] });
    expect(sent.messages[2]).toMatchObject({ role: common.Role.TOOL, toolCallId: call.call_id });
    expect(sent.params?.toolChoice?.mode).toBe(common.ToolChoiceMode.NONE);
  });

  it('answers with a JSON schema (text.format), passed to the router as structured output', async () => {
    const data = await openai.responses.create({
      model: 'switchyard/auto',
      input: 'A city, please',
      text: { format: { type: 'json_schema', name: 'city', strict: true, schema: { type: 'object', properties: { name: { type: 'string' }, population: { type: 'integer' } }, required: ['name', 'population'] } } },
    });
    const value = JSON.parse(data.output_text) as Record<string, unknown>;
    expect(typeof value['name']).toBe('string');
    expect(Number.isInteger(value['population'])).toBe(true);
    expect(lastRequest().params?.responseFormat).toMatchObject({ type: common.ResponseFormatType.JSON_SCHEMA, schemaName: 'city', strict: true });

    const jsonMode = await openai.responses.create({ model: 'switchyard/auto', input: 'Reply in JSON: 2+2?', text: { format: { type: 'json_object' } } });
    expect(JSON.parse(jsonMode.output_text)).toEqual({ answer: '[echo-small] answer to: Reply in JSON: 2+2?' });
  });

  it('reports a length stop as incomplete with reason max_output_tokens', async () => {
    const data = await openai.responses.create({ model: 'switchyard/auto', input: 'Tell me a long story about trains and stations', max_output_tokens: 3 });
    expect(data.status).toBe('incomplete');
    expect(data.incomplete_details).toEqual({ reason: 'max_output_tokens' });
    expect(data.usage?.output_tokens).toBe(3);
    expect(lastRequest().params?.maxOutputTokens).toBe(3);
  });

  it('streams the documented event sequence, each delta as its own event, and finalResponse() has usage', async () => {
    const { data: stream, response } = await openai.responses.create({ model: 'switchyard/auto', input: 'Tell me about trains', stream: true }).withResponse();
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    expect(response.headers.get('x-switchyard-route')).toBe('fake/echo-small');
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    const types = events.map((event) => event.type);
    const deltas = events.filter((event) => event.type === 'response.output_text.delta');
    expect(types).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      ...deltas.map(() => 'response.output_text.delta'),
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(deltas.length).toBeGreaterThan(3); // the fake streams one word per delta; nothing is buffered into one event
    expect(events.map((event) => event.sequence_number)).toEqual(events.map((_, index) => index));
    const text = deltas.map((event) => event.delta).join('');
    expect(text).toBe('[echo-small] answer to: Tell me about trains');
    const completed = events[events.length - 1];
    if (completed?.type !== 'response.completed') throw new Error('expected response.completed last');
    expect(completed.response.status).toBe('completed');
    expect(completed.response.usage?.output_tokens).toBeGreaterThan(0);
    const extension = (completed.response as unknown as { switchyard: { cost: { nanos_usd: string }; request_id: string } }).switchyard;
    expect(BigInt(extension.cost.nanos_usd)).toBeGreaterThan(0n);
    expect(extension.request_id).toBe(response.headers.get('x-switchyard-request-id'));

    const runner = openai.responses.stream({ model: 'switchyard/auto', input: 'Tell me about boats' });
    const snapshots: string[] = [];
    runner.on('response.output_text.delta', (event) => snapshots.push(event.snapshot));
    const final = await runner.finalResponse();
    expect(final.output_text).toBe('[echo-small] answer to: Tell me about boats');
    expect(snapshots[snapshots.length - 1]).toBe(final.output_text);
    expect(final.usage?.total_tokens).toBe((final.usage?.input_tokens ?? 0) + (final.usage?.output_tokens ?? 0));
    expect(final.model).toBe('echo-small');
  });

  it('streams a function call with arguments delta/done events that the SDK accumulates', async () => {
    const runner = openai.responses.stream({ model: 'switchyard/auto', input: 'weather in Oslo', tools: [weatherTool] });
    const types: string[] = [];
    runner.on('event', (event) => types.push(event.type));
    const final = await runner.finalResponse();
    const call = final.output[0];
    if (call?.type !== 'function_call') throw new Error('expected a function_call item');
    expect(call.name).toBe('get_weather');
    expect(JSON.parse(call.arguments)).toHaveProperty('city');
    expect(types.filter((type) => type === 'response.function_call_arguments.delta')).toHaveLength(2); // the fake splits arguments in two
    expect(types.slice(-3)).toEqual(['response.function_call_arguments.done', 'response.output_item.done', 'response.completed']);
  });

  describe('errors in the OpenAI shape, as the SDK types them', () => {
    it('refuses stateful and hosted-tool features with a 400 naming the field, without calling the router', async () => {
      const callsBefore = fake.calls.length;
      const cases: Array<[Record<string, unknown>, string, string]> = [
        [{ previous_response_id: 'resp_123' }, 'previous_response_id', 'stores no responses'],
        [{ background: true }, 'background', 'background'],
        [{ tools: [{ type: 'web_search' }] }, 'tools[0].type', "'web_search'"],
        [{ input: [{ type: 'item_reference', id: 'msg_1' }] }, 'input[0].type', "'item_reference'"],
        [{ input: [{ role: 'user', content: [{ type: 'input_image', file_id: 'file-1' }] }] }, 'input[0].content[0].image_url', 'image_url'],
        [{ temperature: 7 }, 'temperature', "'temperature'"],
      ];
      for (const [extra, param, words] of cases) {
        const body = { model: 'switchyard/auto', input: 'hi', ...extra } as unknown as OpenAI.Responses.ResponseCreateParamsNonStreaming;
        const error = (await failureOf(openai.responses.create(body))) as InstanceType<typeof OpenAI.BadRequestError>;
        expect(error).toBeInstanceOf(OpenAI.BadRequestError);
        expect(error.param).toBe(param);
        expect(error.message).toContain(words);
      }
      expect(fake.calls.length).toBe(callsBefore);
    });

    it('a wrong API key is AuthenticationError', async () => {
      const wrong = new OpenAI({ baseURL: `${edge.url}/v1`, apiKey: 'sy_0000000000_wrongwrongwrongwrongwrong', maxRetries: 0 });
      const error = (await failureOf(wrong.responses.create({ model: 'switchyard/auto', input: 'hi' }))) as InstanceType<typeof OpenAI.AuthenticationError>;
      expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
      expect(error.code).toBe('api_key_invalid');
    });

    it('a spent budget is RateLimitError (429, insufficient_quota), also when a stream is asked for', async () => {
      const error = (await failureOf(openai.responses.create({ model: 'fail/budget', input: 'hi' }))) as InstanceType<typeof OpenAI.RateLimitError>;
      expect(error).toBeInstanceOf(OpenAI.RateLimitError);
      expect(error).toMatchObject({ status: 429, code: 'budget_exhausted', type: 'insufficient_quota' });
      expect(error.headers?.get('x-should-retry')).toBe('false');
      expect(await failureOf(openai.responses.create({ model: 'fail/budget', input: 'hi', stream: true }))).toBeInstanceOf(OpenAI.RateLimitError);
    });

    it('a stream that breaks after it started ends with response.failed and an error event the SDK throws', async () => {
      const stream = await openai.responses.create({ model: 'fail/mid-stream', input: 'hi', stream: true });
      const events: OpenAI.Responses.ResponseStreamEvent[] = [];
      const error = await failureOf(
        (async () => {
          for await (const event of stream) events.push(event);
        })(),
      );
      expect(error).toBeInstanceOf(OpenAI.APIError);
      expect((error as Error).message).toContain('stream broke');
      const failed = events[events.length - 1];
      if (failed?.type !== 'response.failed') throw new Error('expected response.failed before the error');
      expect(failed.response.status).toBe('failed');
      expect(failed.response.error?.message).toContain('stream broke');
      expect(failed.response.output).toEqual([expect.objectContaining({ type: 'message', status: 'incomplete', content: [expect.objectContaining({ text: 'partial ' })] })]);
    });
  });
});
