// End to end through the real services: official SDKs → this edge (in process) → router process →
// adapter-openai process → fake OpenAI upstream; usage → billing process (PGlite). Slow to start
// (three tsx processes and PGlite, ~30 s on 2 cores), so everything shares one stack.
import Anthropic from '@anthropic-ai/sdk';
import { billing } from '@switchyard/contracts';
import { createLogger } from '@switchyard/grpc-kit';
import { createBillingClient, createRouterClient, type BillingServiceClient, type RouterServiceClient } from '@switchyard/sdk';
import OpenAI from 'openai';
import { startHttpEdge, type RunningHttpEdge } from './edge-server';
import { startRealStack, type RealStack } from './test-support/real-stack';

const PROJECT = 'edge-e2e';
const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';

describe('HTTP edge through the real router, adapter and billing', () => {
  let stack: RealStack;
  let routerClient: RouterServiceClient;
  let billingClient: BillingServiceClient;
  let edge: RunningHttpEdge;
  let openai: OpenAI;
  let anthropic: Anthropic;
  /** Cost the edge reported for each successful generation, by request id. */
  const reported = new Map<string, bigint>();

  beforeAll(async () => {
    stack = await startRealStack();
    routerClient = createRouterClient(stack.routerAddress);
    billingClient = createBillingClient(stack.billingAddress, { apiKey: stack.teamKey });
    edge = await startHttpEdge({ router: routerClient, logger: createLogger({ service: 'http-edge', level: 'silent' }) });
    const defaultHeaders = { 'x-switchyard-project': PROJECT };
    openai = new OpenAI({ baseURL: `${edge.url}/v1`, apiKey: stack.teamKey, maxRetries: 0, defaultHeaders });
    anthropic = new Anthropic({ baseURL: edge.url, apiKey: stack.teamKey, maxRetries: 0, defaultHeaders });
  }, 180_000);
  afterAll(async () => {
    await edge?.close(500);
    routerClient?.close();
    billingClient?.close();
    await stack?.close();
  }, 60_000);

  const remember = (headers: Headers) => {
    const requestId = headers.get('x-switchyard-request-id');
    const cost = headers.get('x-switchyard-cost-nanos-usd');
    expect(requestId).toBeTruthy();
    reported.set(requestId!, cost === null ? -1n : BigInt(cost));
  };
  const rememberExtension = (requestId: string | null, extension: { cost?: { nanos_usd: string } } | undefined) => {
    expect(requestId).toBeTruthy();
    reported.set(requestId!, BigInt(extension?.cost?.nanos_usd ?? '-1'));
  };

  it('answers a chat completion routed by switchyard/auto, with a trace id from the caller', async () => {
    const { data, response } = await openai.chat.completions
      .create(
        { model: 'switchyard/auto', messages: [{ role: 'user', content: 'What is the capital of France?' }] },
        { headers: { traceparent: `00-${TRACE_ID}-b7ad6b7169203331-01` } },
      )
      .withResponse();
    expect(data.choices[0]?.message.content).toMatch(/answer to: What is the capital of France\?$/);
    expect(response.headers.get('x-switchyard-route')).toMatch(/^openai\/(gpt-4o-mini|gpt-4\.1-nano)$/);
    expect(response.headers.get('x-switchyard-route-rule')).toBeTruthy();
    expect(BigInt(response.headers.get('x-switchyard-cost-nanos-usd')!)).toBeGreaterThan(0n);
    expect(response.headers.get('x-switchyard-trace-id')).toBe(TRACE_ID);
    expect(data.usage?.prompt_tokens).toBeGreaterThan(0);
    remember(response.headers);
    // The fake upstream saw the request the adapter made; no edge header reached it.
    const upstream = stack.upstream.requests[stack.upstream.requests.length - 1]!;
    expect(upstream.headers['x-switchyard-project']).toBeUndefined();
  });

  it('streams with usage at the end', async () => {
    const { data: stream, response } = await openai.chat.completions
      .create({ model: 'switchyard/auto', messages: [{ role: 'user', content: 'Tell me about trains' }], stream: true, stream_options: { include_usage: true } })
      .withResponse();
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toMatch(/answer to: Tell me about trains$/);
    const last = chunks[chunks.length - 1]!;
    expect(last.usage?.completion_tokens).toBeGreaterThan(0);
    rememberExtension(response.headers.get('x-switchyard-request-id'), (last as unknown as { switchyard?: { cost?: { nanos_usd: string } } }).switchyard);
  });

  it('does a tool call round trip', async () => {
    const tools: OpenAI.Chat.ChatCompletionTool[] = [
      { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } },
    ];
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Use get_weather for Paris' }];
    const first = await openai.chat.completions.create({ model: 'switchyard/auto', messages, tools, tool_choice: 'required' }).withResponse();
    const call = first.data.choices[0]?.message.tool_calls?.[0];
    expect(first.data.choices[0]?.finish_reason).toBe('tool_calls');
    if (call?.type !== 'function') throw new Error('expected a function call');
    expect(call.function.name).toBe('get_weather');
    remember(first.response.headers);
    messages.push(first.data.choices[0]!.message, { role: 'tool', tool_call_id: call.id, content: '21C and sunny' });
    const second = await openai.chat.completions.create({ model: 'switchyard/auto', messages, tools }).withResponse();
    expect(second.data.choices[0]?.message.content).toMatch(/answer using tool result: 21C and sunny$/);
    remember(second.response.headers);
  });

  it('answers in JSON mode', async () => {
    const { data, response } = await openai.chat.completions
      .create({ model: 'switchyard/auto', messages: [{ role: 'user', content: 'Reply in JSON: 2+2?' }], response_format: { type: 'json_object' } })
      .withResponse();
    expect(JSON.parse(data.choices[0]!.message.content!)).toHaveProperty('answer');
    remember(response.headers);
  });

  it('answers the Responses API, unary and streamed', async () => {
    const { data, response } = await openai.responses.create({ model: 'switchyard/auto', instructions: 'Be brief.', input: 'Name a river', store: false }).withResponse();
    expect(data.status).toBe('completed');
    expect(data.output_text).toMatch(/answer to: Name a river$/);
    expect(data.usage?.input_tokens).toBeGreaterThan(0);
    remember(response.headers);

    const { data: stream, response: streamed } = await openai.responses.create({ model: 'switchyard/auto', input: 'Name a lake', stream: true }).withResponse();
    const events: OpenAI.Responses.ResponseStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    const completed = events[events.length - 1];
    if (completed?.type !== 'response.completed') throw new Error('expected response.completed last');
    expect(events.filter((e) => e.type === 'response.output_text.delta').map((e) => e.delta).join('')).toMatch(/answer to: Name a lake$/);
    expect(completed.response.usage?.output_tokens).toBeGreaterThan(0);
    rememberExtension(streamed.headers.get('x-switchyard-request-id'), (completed.response as unknown as { switchyard?: { cost?: { nanos_usd: string } } }).switchyard);
  });

  it('lists the team’s models and aliases', async () => {
    const ids = [];
    for await (const model of openai.models.list()) ids.push(model.id);
    expect(ids).toEqual(expect.arrayContaining(['switchyard/auto', 'openai/gpt-4o-mini', 'openai/gpt-4.1-nano']));
  });

  it('answers an Anthropic message and a streamed one', async () => {
    const { data, response } = await anthropic.messages
      .create({ model: 'openai/gpt-4o-mini', max_tokens: 200, messages: [{ role: 'user', content: 'Name a prime number' }] })
      .withResponse();
    expect(data.content[0]).toMatchObject({ type: 'text' });
    expect(data.model).toMatch(/gpt-4o-mini/);
    expect(response.headers.get('x-switchyard-route')).toBe('openai/gpt-4o-mini');
    remember(response.headers);

    const stream = anthropic.messages.stream({ model: 'switchyard/auto', max_tokens: 200, messages: [{ role: 'user', content: 'Describe a river' }] });
    const events: Array<{ type: string; switchyard?: { cost?: { nanos_usd: string } } }> = [];
    stream.on('streamEvent', (event) => events.push(event as never));
    const message = await stream.finalMessage();
    expect(message.content[0]).toMatchObject({ type: 'text' });
    expect(message.usage.output_tokens).toBeGreaterThan(0);
    expect(events[0]?.type).toBe('message_start');
    expect(events.slice(-2).map((e) => e.type)).toEqual(['message_delta', 'message_stop']);
    rememberExtension((await stream.withResponse()).response.headers.get('x-switchyard-request-id'), events[events.length - 2]?.switchyard);
  });

  it('reaches the SDKs as typed errors from the real router', async () => {
    const stranger = new OpenAI({ baseURL: `${edge.url}/v1`, apiKey: 'sy_0123456789_notarealkeynotarealkey', maxRetries: 0 });
    await expect(stranger.chat.completions.create({ model: 'switchyard/auto', messages: [{ role: 'user', content: 'hi' }] })).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    const unknown = (await openai.chat.completions.create({ model: 'nobody/none', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e)) as InstanceType<
      typeof OpenAI.BadRequestError
    >;
    expect(unknown).toBeInstanceOf(OpenAI.BadRequestError);
    expect(unknown).toMatchObject({ param: 'model', code: 'model_unknown' });
    expect(unknown.message).toContain('unknown model');
    // Served by the adapter, but not in team acme's policy.
    const forbidden = await openai.chat.completions.create({ model: 'openai/gpt-4o', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(forbidden).toBeInstanceOf(OpenAI.PermissionDeniedError);
    const anthropicStranger = new Anthropic({ baseURL: edge.url, apiKey: 'sy_0123456789_notarealkeynotarealkey', maxRetries: 0 });
    await expect(anthropicStranger.messages.create({ model: 'switchyard/auto', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] })).rejects.toBeInstanceOf(
      Anthropic.AuthenticationError,
    );
  });

  it('is refused with RateLimitError when the project budget is spent', async () => {
    const admin = createBillingClient(stack.billingAddress, { apiKey: stack.adminKey });
    await admin.setBudget({ teamId: 'acme', project: 'edge-broke', period: billing.BudgetPeriod.MONTH, limitNanosUsd: 1n });
    admin.close();
    const error = await openai.chat.completions
      .create({ model: 'switchyard/auto', messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-switchyard-project': 'edge-broke' } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect((error as Error).message.length).toBeGreaterThan(10);
  });

  it('billing records every answered request exactly once, at the cost the edge reported', async () => {
    expect(reported.size).toBe(9);
    expect([...reported.values()].every((cost) => cost > 0n)).toBe(true);
    const expectedCost = [...reported.values()].reduce((sum, cost) => sum + cost, 0n);
    const spend = async () => (await billingClient.querySpend({ project: PROJECT })).rows[0];
    const deadline = Date.now() + 20_000;
    let row = await spend();
    while (Number(row?.requestCount ?? 0n) < reported.size && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      row = await spend();
    }
    expect(row?.requestCount).toBe(BigInt(reported.size));
    expect(row?.costNanosUsd).toBe(expectedCost);
    // Nothing arrives twice later (the outbox retries are idempotent on the request id).
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect((await spend())?.requestCount).toBe(BigInt(reported.size));
  }, 30_000);
});
