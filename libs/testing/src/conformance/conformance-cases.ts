import { status as Status } from '@grpc/grpc-js';
import { common, provider } from '@switchyard/contracts';
import { SwitchyardError, messageText, type ProviderServiceClient } from '@switchyard/sdk';
import type { UpstreamFault } from '../upstream-faults';
import type { FakeControl } from './fake-control';

/** The error domain every adapter's ErrorInfo must carry. */
export const PROVIDER_ERROR_DOMAIN = 'provider.switchyard.dev';

/** What a case gets to work with. */
export interface CaseContext {
  readonly client: ProviderServiceClient;
  /** The model under test and what it can do (from ListModels). */
  readonly model: common.ModelInfo;
  /** Its id (`model.ref.model`). */
  readonly modelId: string;
  /** The scripted upstream, when there is one. */
  readonly fake: FakeControl | undefined;
  /** Aborted when the case runs out of time. */
  readonly signal: AbortSignal;
}

/** One conformance case. */
export interface ConformanceCase {
  readonly id: string;
  readonly title: string;
  /** `fake`: needs a scriptable upstream. A capability name: needs a model with that capability. */
  readonly requires?: 'fake' | 'tools' | 'jsonOutput' | 'structuredOutput';
  run(context: CaseContext): Promise<void>;
}

/** A failed expectation, with a message that says what was expected and what came. */
export class ConformanceFailure extends Error {
  override readonly name = 'ConformanceFailure';
}

function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new ConformanceFailure(message);
}

const PROMPT = 'Summarise in one paragraph what an adapter conformance suite checks for a new provider.';
const userMessage = (text: string) => ({ role: common.Role.USER, parts: [{ kind: { case: 'text' as const, value: text } }] });

const weatherTool = {
  name: 'get_weather',
  description: 'Current weather for a city.',
  parametersSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

/** The collected result of one StreamGenerate call. */
interface CollectedStream {
  events: provider.StreamGenerateResponse[];
  deltas: provider.Delta[];
  final: provider.StreamFinal | undefined;
  text: string;
  /** Characters of text plus tool-argument deltas received. */
  deltaCharacters: number;
  error: SwitchyardError | undefined;
  /** Index (in `events`) of any event after the final one, or -1. */
  eventAfterFinal: number;
}

async function collectStream(
  client: ProviderServiceClient,
  request: Parameters<ProviderServiceClient['streamGenerate']>[0],
  options: Parameters<ProviderServiceClient['streamGenerate']>[1] = {},
  onEvent?: (event: provider.StreamGenerateResponse) => void,
): Promise<CollectedStream> {
  const collected: CollectedStream = {
    events: [],
    deltas: [],
    final: undefined,
    text: '',
    deltaCharacters: 0,
    error: undefined,
    eventAfterFinal: -1,
  };
  try {
    for await (const event of client.streamGenerate(request, options)) {
      if (collected.final && collected.eventAfterFinal < 0) collected.eventAfterFinal = collected.events.length;
      collected.events.push(event);
      if (event.event.case === 'delta') {
        const delta = event.event.value;
        collected.deltas.push(delta);
        collected.text += delta.text;
        collected.deltaCharacters += delta.text.length + (delta.toolCall?.argumentsJsonDelta.length ?? 0);
      } else if (event.event.case === 'final') {
        collected.final = event.event.value;
      }
      onEvent?.(event);
    }
  } catch (error) {
    if (!(error instanceof SwitchyardError)) throw error;
    collected.error = error;
  }
  return collected;
}

async function expectError(promise: Promise<unknown>, code: Status, what: string): Promise<SwitchyardError> {
  let result: unknown;
  try {
    result = await promise;
  } catch (error) {
    check(error instanceof SwitchyardError, `${what}: expected a gRPC error, got ${String(error)}`);
    checkCode(error, code, what);
    return error;
  }
  throw new ConformanceFailure(`${what}: expected ${Status[code]}, got a successful response ${JSON.stringify(summaryOf(result))}`);
}

function summaryOf(value: unknown): unknown {
  return value && typeof value === 'object' && '$typeName' in value ? (value as { $typeName: string }).$typeName : value;
}

function checkCode(error: SwitchyardError, code: Status, what: string): void {
  check(error.code === code, `${what}: expected ${Status[code]}, got ${error.codeName} "${error.message}"`);
  check(
    error.details.errorInfo?.domain === PROVIDER_ERROR_DOMAIN,
    `${what}: ErrorInfo.domain should be ${PROVIDER_ERROR_DOMAIN}, got ${error.details.errorInfo?.domain ?? 'no ErrorInfo'}`,
  );
}

function checkUsage(usage: common.TokenUsage | undefined, what: string): asserts usage is common.TokenUsage {
  check(usage, `${what}: usage is missing`);
  check(usage.inputTokens + usage.cachedInputTokens > 0n, `${what}: usage reports no input tokens`);
  check(usage.outputTokens > 0n, `${what}: usage reports no output tokens`);
  check(usage.reasoningTokens <= usage.outputTokens, `${what}: reasoning tokens exceed output tokens`);
}

// Cases that need a fake are only run with one (run-conformance skips them otherwise).
function need(fake: FakeControl | undefined): FakeControl {
  if (!fake) throw new ConformanceFailure('this case needs a scriptable fake upstream');
  return fake;
}

function generationRequests(fake: FakeControl): number {
  return fake.requests.filter((request) => request.method === 'POST').length;
}

/** Runs `body` with `faults` planned on the fake, and checks the adapter sent exactly one upstream request (no SDK retries). */
async function withFaults(fake: FakeControl, faults: UpstreamFault[], body: () => Promise<void>): Promise<void> {
  fake.clearFaults();
  fake.clearRequests();
  fake.setFaults(faults);
  try {
    await body();
    const sent = generationRequests(fake);
    check(sent === 1, `the adapter sent ${sent} upstream requests for one call; SDK retries must be off (maxRetries: 0)`);
  } finally {
    fake.clearFaults();
  }
}

function unaryFaultCase(id: string, title: string, fault: UpstreamFault, code: Status, extra?: (error: SwitchyardError) => void): ConformanceCase {
  return {
    id,
    title,
    requires: 'fake',
    run: ({ client, modelId, fake, signal }) =>
      withFaults(need(fake), [{ ...fault, times: 1 }], async () => {
        const error = await expectError(
          client.generate({ model: modelId, messages: [userMessage(PROMPT)] }, { signal, timeoutMs: 10_000 }),
          code,
          title,
        );
        extra?.(error);
      }),
  };
}

async function waitForUpstreamClose(fake: FakeControl, what: string): Promise<void> {
  try {
    await fake.waitForRequest((request) => request.method === 'POST' && request.clientAborted, 3000);
  } catch {
    throw new ConformanceFailure(`${what}: the upstream request was still open 3 s later; pass the call's signal to the SDK`);
  }
}

/** Every conformance case, in run order. */
export const CONFORMANCE_CASES: readonly ConformanceCase[] = [
  {
    id: 'list-models.shape',
    title: 'ListModels lists models with ref, capabilities and price',
    async run({ client }) {
      const { models } = await client.listModels({});
      check(models.length > 0, 'ListModels returned no models');
      for (const info of models) {
        const name = info.ref?.model ?? '?';
        check(info.ref?.provider && info.ref.model && info.ref.deployment, `${name}: ref needs provider, model and deployment`);
        check(info.displayName, `${name}: display_name is empty`);
        const caps = info.capabilities;
        check(caps, `${name}: capabilities missing`);
        check(caps.contextWindowTokens > 0n, `${name}: context_window_tokens must be > 0`);
        check(caps.maxOutputTokens > 0n && caps.maxOutputTokens <= caps.contextWindowTokens, `${name}: max_output_tokens must be in (0, context window]`);
        check(info.price, `${name}: price missing (from the catalog, or the config for self-hosted models)`);
        check(info.price.version && info.price.source, `${name}: price needs a version and a source`);
        const perToken = info.price.inputNanosUsdPerMtok > 0n || info.price.outputNanosUsdPerMtok > 0n;
        check(perToken || info.price.capacityNanosUsdPerHour > 0n || info.selfHosted, `${name}: price is zero and the model is not self-hosted`);
      }
    },
  },
  {
    id: 'list-models.pagination',
    title: 'ListModels pages with page_size/page_token and refuses bad tokens',
    async run({ client }) {
      const all = (await client.listModels({ pageSize: 1000 })).models.map((m) => m.ref?.model);
      const paged: (string | undefined)[] = [];
      let token = '';
      for (let page = 0; page < 1000; page++) {
        const response = await client.listModels({ pageSize: 1, pageToken: token });
        check(response.models.length <= 1, `page_size 1 returned ${response.models.length} models`);
        paged.push(...response.models.map((m) => m.ref?.model));
        token = response.nextPageToken;
        if (!token) break;
      }
      check(JSON.stringify(paged) === JSON.stringify(all), `paging one by one gave ${JSON.stringify(paged)}, one page gave ${JSON.stringify(all)}`);
      await expectError(client.listModels({ pageToken: 'not-a-token' }), Status.INVALID_ARGUMENT, 'a bad page_token');
      await expectError(client.listModels({ pageSize: -1 }), Status.INVALID_ARGUMENT, 'a negative page_size');
    },
  },
  {
    id: 'generate.unary',
    title: 'Generate returns text, STOP, usage, response model and id',
    async run({ client, modelId, signal }) {
      const response = await client.generate({ model: modelId, messages: [userMessage(PROMPT)], requestId: 'conformance-unary' }, { signal });
      check(response.message?.role === common.Role.ASSISTANT, 'message.role must be ASSISTANT');
      check(messageText(response.message).length > 0, 'the reply has no text');
      check(response.finishReason === common.FinishReason.STOP, `finish_reason should be STOP, got ${common.FinishReason[response.finishReason]}`);
      check(response.providerFinishReason, 'provider_finish_reason is empty');
      checkUsage(response.usage, 'Generate');
      check(response.responseModel, 'response_model is empty');
      check(response.responseId, 'response_id is empty');
      check(response.upstreamLatency, 'upstream_latency is missing');
    },
  },
  {
    id: 'generate.unknown-model',
    title: 'Generate for a model the deployment does not serve is INVALID_ARGUMENT',
    async run({ client, fake, signal }) {
      fake?.clearRequests();
      await expectError(
        client.generate({ model: 'conformance-no-such-model', messages: [userMessage('hi')] }, { signal }),
        Status.INVALID_ARGUMENT,
        'an unknown model',
      );
      if (fake) check(generationRequests(fake) === 0, 'an unknown model must be refused before calling the upstream');
    },
  },
  {
    id: 'generate.invalid-message',
    title: 'A message without a role is INVALID_ARGUMENT naming the field',
    async run({ client, modelId, signal }) {
      const error = await expectError(
        client.generate({ model: modelId, messages: [{ parts: [{ kind: { case: 'text', value: 'hi' } }] }] }, { signal }),
        Status.INVALID_ARGUMENT,
        'a role-less message',
      );
      const fields = error.details.badRequest?.fieldViolations.map((violation) => violation.field) ?? [];
      check(fields.some((field) => field.startsWith('messages[0]')), `BadRequest should name messages[0]..., got ${JSON.stringify(fields)}`);
    },
  },
  {
    id: 'generate.tool-call',
    title: 'Tool definitions and a named tool choice produce a tool call; its result is accepted back',
    requires: 'tools',
    async run({ client, modelId, signal }) {
      const ask = userMessage('What is the weather in Paris? Use get_weather.');
      const first = await client.generate(
        {
          model: modelId,
          messages: [ask],
          params: { tools: [weatherTool], toolChoice: { mode: common.ToolChoiceMode.NAMED, toolName: 'get_weather' } },
        },
        { signal },
      );
      check(first.finishReason === common.FinishReason.TOOL_CALLS, `finish_reason should be TOOL_CALLS, got ${common.FinishReason[first.finishReason]}`);
      const call = first.message?.toolCalls[0];
      check(call && call.name === 'get_weather' && call.id, `expected a get_weather call with an id, got ${JSON.stringify(call)}`);
      const args = JSON.parse(call.argumentsJson) as unknown;
      check(args && typeof args === 'object', `tool arguments should be a JSON object, got ${call.argumentsJson}`);
      const second = await client.generate(
        {
          model: modelId,
          messages: [
            ask,
            { role: common.Role.ASSISTANT, toolCalls: [call] },
            { role: common.Role.TOOL, toolCallId: call.id, parts: [{ kind: { case: 'text', value: '18C and sunny' } }] },
          ],
          params: { tools: [weatherTool] },
        },
        { signal },
      );
      check(messageText(second.message).length > 0, 'the answer after the tool result has no text');
    },
  },
  {
    id: 'generate.json-output',
    title: 'JSON_OBJECT output is a JSON object',
    requires: 'jsonOutput',
    async run({ client, modelId, signal }) {
      const response = await client.generate(
        {
          model: modelId,
          messages: [userMessage('Reply with a JSON object with a key "answer".')],
          params: { responseFormat: { type: common.ResponseFormatType.JSON_OBJECT } },
        },
        { signal },
      );
      const text = messageText(response.message);
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new ConformanceFailure(`the reply is not JSON: ${text.slice(0, 80)}`);
      }
      check(parsed && typeof parsed === 'object' && !Array.isArray(parsed), 'the reply is not a JSON object');
    },
  },
  {
    id: 'generate.structured-output',
    title: 'JSON_SCHEMA output satisfies the schema’s required keys',
    requires: 'structuredOutput',
    async run({ client, modelId, signal }) {
      const response = await client.generate(
        {
          model: modelId,
          messages: [userMessage('Extract: Ada Lovelace, born 1815.')],
          params: {
            responseFormat: {
              type: common.ResponseFormatType.JSON_SCHEMA,
              schemaName: 'person',
              strict: true,
              jsonSchema: {
                type: 'object',
                properties: { name: { type: 'string' }, born: { type: 'integer' } },
                required: ['name', 'born'],
                additionalProperties: false,
              },
            },
          },
        },
        { signal },
      );
      const text = messageText(response.message);
      const parsed = JSON.parse(text) as Record<string, unknown>;
      check(typeof parsed['name'] === 'string' && typeof parsed['born'] === 'number', `the reply misses required keys: ${text.slice(0, 80)}`);
    },
  },
  {
    id: 'stream.order',
    title: 'StreamGenerate sends deltas, then exactly one final message, last, with usage',
    async run({ client, modelId, signal }) {
      const stream = await collectStream(client, { model: modelId, messages: [userMessage(PROMPT)] }, { signal });
      if (stream.error) throw new ConformanceFailure(`the stream failed: ${stream.error.codeName} ${stream.error.message}`);
      check(stream.deltas.length > 0, 'no delta before the final message');
      check(stream.final, 'no final message');
      check(stream.events[stream.events.length - 1]?.event.case === 'final', 'the final message is not the last one');
      check(stream.events.filter((e) => e.event.case === 'final').length === 1, 'more than one final message');
      check(stream.text.length > 0, 'the deltas carry no text');
      check(stream.final.finishReason === common.FinishReason.STOP, `finish_reason should be STOP, got ${common.FinishReason[stream.final.finishReason]}`);
      checkUsage(stream.final.usage, 'StreamFinal');
      check(stream.final.responseModel, 'final.response_model is empty');
      check(stream.final.timeToFirstToken, 'final.time_to_first_token is missing');
      check(stream.final.upstreamLatency, 'final.upstream_latency is missing');
    },
  },
  {
    id: 'stream.matches-unary',
    title: 'A streamed reply has the same text as the unary one (deterministic fake)',
    requires: 'fake',
    async run({ client, modelId, signal }) {
      const unary = await client.generate({ model: modelId, messages: [userMessage(PROMPT)] }, { signal });
      const stream = await collectStream(client, { model: modelId, messages: [userMessage(PROMPT)] }, { signal });
      check(!stream.error, `the stream failed: ${stream.error?.message}`);
      check(stream.text === messageText(unary.message), `streamed "${stream.text}" but unary "${messageText(unary.message)}"`);
      const unaryOutput = unary.usage?.outputTokens;
      const streamOutput = stream.final?.usage?.outputTokens;
      check(unaryOutput === streamOutput, `output tokens differ: unary ${unaryOutput}, streamed ${streamOutput}`);
    },
  },
  {
    id: 'stream.tool-call',
    title: 'Streamed tool calls arrive as indexed pieces that join into valid JSON',
    requires: 'tools',
    async run({ client, modelId, signal }) {
      const stream = await collectStream(
        client,
        {
          model: modelId,
          messages: [userMessage('What is the weather in Paris? Use get_weather.')],
          params: { tools: [weatherTool], toolChoice: { mode: common.ToolChoiceMode.NAMED, toolName: 'get_weather' } },
        },
        { signal },
      );
      check(!stream.error, `the stream failed: ${stream.error?.message}`);
      const pieces = stream.deltas.flatMap((d) => (d.toolCall ? [d.toolCall] : []));
      check(pieces.length > 0, 'no tool call deltas');
      const first = pieces[0];
      check(first?.id && first.name === 'get_weather', 'the first tool call piece must carry the id and name');
      const args = pieces.filter((p) => p.index === 0).map((p) => p.argumentsJsonDelta).join('');
      JSON.parse(args);
      check(stream.final?.finishReason === common.FinishReason.TOOL_CALLS, 'finish_reason should be TOOL_CALLS');
    },
  },
  unaryFaultCase('fault.rate-limit', 'Upstream 429 is RESOURCE_EXHAUSTED with RetryInfo from retry-after', { kind: 'rate_limit', retryAfterSeconds: 7 }, Status.RESOURCE_EXHAUSTED, (error) => {
    check(error.retryDelayMs !== undefined && Math.abs(error.retryDelayMs - 7000) <= 1000, `RetryInfo should say ~7000 ms, got ${error.retryDelayMs}`);
  }),
  unaryFaultCase('fault.server-error', 'Upstream 500 is UNAVAILABLE', { kind: 'server_error' }, Status.UNAVAILABLE),
  unaryFaultCase('fault.unavailable', 'Upstream 503 is UNAVAILABLE', { kind: 'unavailable' }, Status.UNAVAILABLE),
  unaryFaultCase('fault.overloaded', 'Upstream overload is UNAVAILABLE', { kind: 'overloaded' }, Status.UNAVAILABLE),
  unaryFaultCase('fault.connection-reset', 'A reset connection is UNAVAILABLE', { kind: 'connection_reset' }, Status.UNAVAILABLE),
  unaryFaultCase('fault.key-rejected', 'The adapter’s provider key rejected is FAILED_PRECONDITION', { kind: 'wrong_key' }, Status.FAILED_PRECONDITION),
  unaryFaultCase(
    'fault.bad-request',
    'Upstream 400 is INVALID_ARGUMENT with the upstream’s words in a BadRequest detail, not in the status message',
    { kind: 'bad_request', message: 'conformance: temperature is out of range' },
    Status.INVALID_ARGUMENT,
    (error) => {
      // Providers quote the prompt in these messages; status messages reach logs and spans, details do not.
      const words = error.details.badRequest?.fieldViolations.map((v) => v.description).join(' ') ?? '';
      check(words.includes('conformance: temperature is out of range'), `a BadRequest detail should carry the upstream's words, got "${words}"`);
      check(!error.message.includes('conformance: temperature is out of range'), `the status message must not carry the upstream's words, got "${error.message}"`);
    },
  ),
  unaryFaultCase('fault.truncated-body', 'A unary body cut short is UNAVAILABLE', { kind: 'stream_cut' }, Status.UNAVAILABLE),
  {
    id: 'fault.stream-cut',
    title: 'A stream cut mid-way ends with UNAVAILABLE and PartialUsage of what was delivered',
    requires: 'fake',
    run: ({ client, modelId, fake, signal }) =>
      withFaults(need(fake), [{ kind: 'stream_cut', afterChunks: 5, times: 1 }], async () => {
        const stream = await collectStream(client, { model: modelId, messages: [userMessage(PROMPT)] }, { signal });
        check(stream.deltas.length > 0, 'expected some deltas before the cut');
        check(!stream.final, 'a cut stream must not end with a final message');
        check(stream.error, 'a cut stream must end with an error');
        checkCode(stream.error, Status.UNAVAILABLE, 'a cut stream');
        const partial = stream.error.details.partialUsage;
        check(partial, 'the error must carry PartialUsage');
        check(partial.usage && partial.usage.inputTokens + partial.usage.cachedInputTokens > 0n, 'PartialUsage should count the input tokens');
        check(
          partial.deliveredCharacters === BigInt(stream.deltaCharacters),
          `PartialUsage.delivered_characters is ${partial.deliveredCharacters}, but ${stream.deltaCharacters} were delivered`,
        );
      }),
  },
  {
    id: 'fault.malformed-stream',
    title: 'A malformed event in the stream ends it with UNAVAILABLE',
    requires: 'fake',
    run: ({ client, modelId, fake, signal }) =>
      withFaults(need(fake), [{ kind: 'malformed_sse', afterChunks: 3, times: 1 }], async () => {
        const stream = await collectStream(client, { model: modelId, messages: [userMessage(PROMPT)] }, { signal });
        check(stream.error, 'a malformed stream must end with an error');
        checkCode(stream.error, Status.UNAVAILABLE, 'a malformed stream');
        check(stream.error.details.partialUsage, 'the error must carry PartialUsage');
      }),
  },
  {
    id: 'fault.stream-rate-limit',
    title: 'A 429 before a stream starts is RESOURCE_EXHAUSTED, with no final message',
    requires: 'fake',
    run: ({ client, modelId, fake, signal }) =>
      withFaults(need(fake), [{ kind: 'rate_limit', retryAfterSeconds: 2, times: 1 }], async () => {
        const stream = await collectStream(client, { model: modelId, messages: [userMessage(PROMPT)] }, { signal });
        check(stream.events.length === 0, 'no events should precede the error');
        check(stream.error, 'expected an error');
        checkCode(stream.error, Status.RESOURCE_EXHAUSTED, 'a rate-limited stream');
        check(stream.error.retryDelayMs !== undefined, 'RetryInfo missing');
      }),
  },
  {
    id: 'deadline.unary',
    title: 'A caller deadline shorter than the upstream ends the call with DEADLINE_EXCEEDED and closes the upstream request',
    requires: 'fake',
    run: ({ client, modelId, fake, signal }) =>
      withFaults(need(fake), [{ kind: 'slow_first_byte', delayMs: 4000, times: 1 }], async () => {
        const started = Date.now();
        await expectErrorCode(
          client.generate({ model: modelId, messages: [userMessage(PROMPT)] }, { signal, timeoutMs: 400 }),
          Status.DEADLINE_EXCEEDED,
          'a call past its deadline',
        );
        const took = Date.now() - started;
        check(took < 2000, `the call took ${took} ms to fail with a 400 ms deadline`);
        await waitForUpstreamClose(need(fake), 'deadline');
      }),
  },
  {
    id: 'deadline.stream',
    title: 'A deadline that passes mid-stream ends it with DEADLINE_EXCEEDED and closes the upstream stream',
    requires: 'fake',
    run: ({ client, modelId, fake, signal }) =>
      withFaults(need(fake), [{ kind: 'slow_stream', delayMs: 250, times: 1 }], async () => {
        const started = Date.now();
        const stream = await collectStream(client, { model: modelId, messages: [userMessage(PROMPT)] }, { signal, timeoutMs: 900 });
        check(!stream.final, 'the stream should not have finished before its deadline');
        check(stream.error?.code === Status.DEADLINE_EXCEEDED, `expected DEADLINE_EXCEEDED, got ${stream.error?.codeName ?? 'no error'}`);
        check(Date.now() - started < 2500, `the stream took ${Date.now() - started} ms to end with a 900 ms deadline`);
        await waitForUpstreamClose(need(fake), 'stream deadline');
      }),
  },
  {
    id: 'cancel.unary',
    title: 'Cancelling a Generate call closes the upstream request',
    requires: 'fake',
    run: ({ client, modelId, fake, signal }) =>
      withFaults(need(fake), [{ kind: 'slow_first_byte', delayMs: 4000, times: 1 }], async () => {
        const abort = new AbortController();
        const call = client.generate({ model: modelId, messages: [userMessage(PROMPT)] }, { signal: AbortSignal.any([signal, abort.signal]) });
        await need(fake).waitForRequest((request) => request.method === 'POST', 3000);
        abort.abort();
        await expectErrorCode(call, Status.CANCELLED, 'a cancelled call');
        await waitForUpstreamClose(need(fake), 'cancel');
      }),
  },
  {
    id: 'cancel.stream',
    title: 'Cancelling a stream after its first delta closes the upstream stream',
    requires: 'fake',
    run: ({ client, modelId, fake, signal }) =>
      withFaults(need(fake), [{ kind: 'slow_stream', delayMs: 150, times: 1 }], async () => {
        const abort = new AbortController();
        const stream = await collectStream(
          client,
          { model: modelId, messages: [userMessage(PROMPT)] },
          { signal: AbortSignal.any([signal, abort.signal]) },
          (event) => {
            if (event.event.case === 'delta') abort.abort();
          },
        );
        check(stream.deltas.length >= 1, 'no delta arrived before cancelling');
        check(!stream.final, 'the stream should not have finished');
        await waitForUpstreamClose(need(fake), 'stream cancel');
      }),
  },
];

// Deadline and cancel errors are produced by the client's own gRPC stack, so they carry no ErrorInfo.
async function expectErrorCode(promise: Promise<unknown>, code: Status, what: string): Promise<void> {
  try {
    await promise;
  } catch (error) {
    check(error instanceof SwitchyardError, `${what}: expected a gRPC error, got ${String(error)}`);
    check(error.code === code, `${what}: expected ${Status[code]}, got ${error.codeName} "${error.message}"`);
    return;
  }
  throw new ConformanceFailure(`${what}: expected ${Status[code]}, got a successful response`);
}
