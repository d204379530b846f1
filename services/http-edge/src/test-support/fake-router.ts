import { randomBytes, randomUUID } from 'node:crypto';
import { common, router } from '@switchyard/contracts';
import {
  createApiKeyAuthenticator,
  createApiKeyStore,
  createLogger,
  deadlineExceeded,
  invalidArgument,
  permissionDenied,
  resourceExhausted,
  startGrpcServer,
  unavailable,
  type RunningGrpcServer,
} from '@switchyard/grpc-kit';
import { messageText, type RouterServiceImplementation, type ServerCallContext } from '@switchyard/sdk';
import { composeFakeReply, countTokens, splitTextDeltas, type FakeChatRequest, type FakeChatReply } from '@switchyard/testing';

/** One call the fake router received. */
export interface FakeRouterCall {
  readonly method: 'generate' | 'streamGenerate' | 'listModels';
  readonly request?: router.GenerateRequest | router.StreamGenerateRequest;
  /** Trace and auth metadata as received (the key itself is not kept). */
  readonly traceparent?: string;
  readonly tracestate?: string;
  readonly baggage?: string;
  readonly teamId?: string;
  /** Set when the caller cancelled the call. */
  aborted: boolean;
}

/** One usage row the fake "bills" when a generation completes. */
export interface FakeUsageRow {
  readonly requestId: string;
  readonly teamId: string;
  readonly model: string;
  readonly costNanosUsd: bigint;
  readonly stream: boolean;
}

/** Options of startFakeRouter. */
export interface FakeRouterOptions {
  /** Send the route as `x-switchyard-*` response metadata before a stream's first delta. Default true. */
  readonly announceRoute?: boolean;
  /** ListModels returns at most this many models per page (to exercise pagination). Default 2. */
  readonly maxPageSize?: number;
}

/** A running fake router. */
export interface FakeRouter {
  readonly address: string;
  /** A valid API key for team `team-a`. */
  readonly apiKey: string;
  readonly calls: FakeRouterCall[];
  readonly billed: FakeUsageRow[];
  close(): Promise<void>;
}

// Prices of the fake route, nano-USD per token ($0.15 and $0.60 per million tokens).
const INPUT_NANOS_PER_TOKEN = 150n;
const OUTPUT_NANOS_PER_TOKEN = 600n;
const AUTO_ROUTE = { provider: 'fake', model: 'echo-small', deployment: 'fake-default' };

const CATALOG: { provider: string; model: string; deployment: string; available: boolean }[] = [
  { ...AUTO_ROUTE, available: true },
  { provider: 'openai', model: 'gpt-4o-mini', deployment: 'openai-default', available: true },
  { provider: 'anthropic', model: 'claude-haiku-4-5', deployment: 'anthropic-default', available: true },
  { provider: 'anthropic', model: 'claude-haiku-4-5', deployment: 'anthropic-eu', available: false },
];

function chosenRoute(model: string): { provider: string; model: string; deployment: string } {
  if (model === '' || model === 'switchyard/auto') return AUTO_ROUTE;
  const slash = model.indexOf('/');
  return slash > 0
    ? { provider: model.slice(0, slash), model: model.slice(slash + 1), deployment: `${model.slice(0, slash)}-default` }
    : { provider: 'fake', model, deployment: 'fake-default' };
}

/** Scripted failures, by requested model. */
function scriptedFailure(model: string): Error | undefined {
  switch (model) {
    case 'fail/unknown-model':
      return invalidArgument('model', 'unknown model "fail/unknown-model"; ListModels lists the models your team may use', 'UNKNOWN_MODEL');
    case 'fail/rate-limited':
      return resourceExhausted('every candidate model is rate limited upstream; retry in 2 s', { reason: 'UPSTREAM_RATE_LIMITED', retryDelayMs: 2000 });
    case 'fail/budget':
      return resourceExhausted('team team-a has spent its monthly budget of $10.00', {
        reason: 'BUDGET_EXHAUSTED',
        quotaViolations: [{ subject: 'team:team-a', description: 'monthly budget $10.00 spent' }],
      });
    case 'fail/permission':
      return permissionDenied('policy team:team-a does not allow model fail/permission', 'MODEL_NOT_ALLOWED');
    case 'fail/unavailable':
    case 'fail/mid-stream':
      return unavailable('every candidate provider is unavailable', 'NO_CANDIDATE_AVAILABLE');
    case 'fail/deadline':
      return deadlineExceeded('the provider did not answer within the deadline');
    case 'fail/internal':
      return new Error('secret internal detail');
    default:
      return undefined;
  }
}

const ROLES: Record<number, FakeChatRequest['messages'][number]['role']> = {
  [common.Role.SYSTEM]: 'system',
  [common.Role.USER]: 'user',
  [common.Role.ASSISTANT]: 'assistant',
  [common.Role.TOOL]: 'tool',
};

/** The reply the deterministic rules of @switchyard/testing give; tools given means a tool call. */
function fakeReply(request: router.GenerateRequest | router.StreamGenerateRequest, model: string): { reply: FakeChatReply; inputTokens: number } {
  const params = request.params;
  const tools = (params?.tools ?? []).map((tool) => ({ name: tool.name, description: tool.description, parameters: tool.parametersSchema }));
  const mode = params?.toolChoice?.mode ?? common.ToolChoiceMode.UNSPECIFIED;
  const toolChoice: FakeChatRequest['toolChoice'] =
    mode === common.ToolChoiceMode.NONE
      ? { mode: 'none' }
      : mode === common.ToolChoiceMode.NAMED
        ? { mode: 'named', name: params?.toolChoice?.toolName ?? '' }
        : tools.length > 0
          ? { mode: 'required' }
          : { mode: 'auto' };
  const format = params?.responseFormat;
  const responseFormat: FakeChatRequest['responseFormat'] =
    format?.type === common.ResponseFormatType.JSON_OBJECT
      ? { type: 'json_object' }
      : format?.type === common.ResponseFormatType.JSON_SCHEMA
        ? { type: 'json_schema', schema: format.jsonSchema ?? {} }
        : { type: 'text' };
  const messages = request.messages.map((message) => ({
    role: ROLES[message.role] ?? 'user',
    text: [messageText(message), ...message.toolCalls.map((call) => `${call.name}(${call.argumentsJson})`)].join('\n'),
  }));
  const fake: FakeChatRequest = {
    model,
    messages,
    tools,
    toolChoice,
    responseFormat,
    maxOutputTokens: params?.maxOutputTokens,
    stopSequences: params?.stopSequences ?? [],
    stream: false,
  };
  const inputTokens = messages.reduce((sum, message) => sum + 3 + countTokens(message.text), 3);
  return { reply: composeFakeReply(fake, { toolCallIdPrefix: 'call_' }), inputTokens };
}

const FINISH: Record<FakeChatReply['finishReason'], common.FinishReason> = {
  stop: common.FinishReason.STOP,
  stop_sequence: common.FinishReason.STOP,
  length: common.FinishReason.LENGTH,
  tool_calls: common.FinishReason.TOOL_CALLS,
};

function traceIdFrom(context: ServerCallContext): string {
  const traceparent = context.metadata.get('traceparent')[0];
  const match = typeof traceparent === 'string' ? /^00-([0-9a-f]{32})-/.exec(traceparent) : null;
  return match?.[1] ?? randomBytes(16).toString('hex');
}

/**
 * Starts a small deterministic RouterService on 127.0.0.1:0 with grpc-kit (real API-key auth,
 * real error mapping): it echoes through @switchyard/testing's reply rules, streams word deltas,
 * returns tool calls when tools are given, JSON when asked, fails on scripted `fail/*` models,
 * and records every call and one usage row per completed generation.
 */
export async function startFakeRouter(options: FakeRouterOptions = {}): Promise<FakeRouter> {
  const store = createApiKeyStore({ keys: [] });
  const issued = store.issue('team-a', 'team');
  const calls: FakeRouterCall[] = [];
  const billed: FakeUsageRow[] = [];
  const maxPageSize = options.maxPageSize ?? 2;

  const record = (method: FakeRouterCall['method'], context: ServerCallContext, request?: FakeRouterCall['request']): FakeRouterCall => {
    const first = (key: string) => {
      const value = context.metadata.get(key)[0];
      return typeof value === 'string' ? value : undefined;
    };
    const call: FakeRouterCall = {
      method,
      request,
      traceparent: first('traceparent'),
      tracestate: first('tracestate'),
      baggage: first('baggage'),
      teamId: context.principal?.teamId,
      aborted: false,
    };
    context.signal.addEventListener('abort', () => (call.aborted = true));
    calls.push(call);
    return call;
  };

  const waitForAbort = (context: ServerCallContext) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 10_000);
      context.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      });
    });

  const answer = (request: router.GenerateRequest | router.StreamGenerateRequest, context: ServerCallContext, stream: boolean) => {
    const route = chosenRoute(request.model);
    const { reply, inputTokens } = fakeReply(request, route.model);
    const usage = { inputTokens: BigInt(inputTokens), outputTokens: BigInt(reply.outputTokens) };
    const costNanosUsd = usage.inputTokens * INPUT_NANOS_PER_TOKEN + usage.outputTokens * OUTPUT_NANOS_PER_TOKEN;
    const requestId = request.context?.requestId || randomUUID();
    const traceId = traceIdFrom(context);
    const decision = {
      chosen: route,
      rule: request.model === '' || request.model === 'switchyard/auto' ? 'cheapest_meeting_quality' : 'pinned',
      reason: `${route.model} is the fake router's choice`,
      policy: 'team:team-a',
      attempts: [{ model: route, statusCode: 'OK' }],
    };
    const cost = { nanosUsd: costNanosUsd, priceVersion: 'fake-1', baselineNanosUsd: costNanosUsd * 10n, baselineModel: 'openai/gpt-4o' };
    const bill = () => billed.push({ requestId, teamId: context.principal?.teamId ?? '', model: `${route.provider}/${route.model}`, costNanosUsd, stream });
    return { route, reply, usage, requestId, traceId, decision, cost, bill };
  };

  const implementation: RouterServiceImplementation = {
    async generate(request, context) {
      record('generate', context, request);
      if (request.model === 'slow') {
        await waitForAbort(context);
        throw unavailable('the slow fake model gave up', 'SLOW_MODEL'); // nothing is billed for a cancelled call
      }
      const failure = scriptedFailure(request.model);
      if (failure) throw failure;
      const a = answer(request, context, false);
      a.bill();
      return {
        message: {
          role: common.Role.ASSISTANT,
          parts: a.reply.text === '' ? [] : [{ kind: { case: 'text', value: a.reply.text } }],
          toolCalls: a.reply.toolCalls.map((call) => ({ id: call.id, name: call.name, argumentsJson: call.arguments })),
        },
        finishReason: FINISH[a.reply.finishReason],
        usage: a.usage,
        cost: a.cost,
        route: a.decision,
        responseModel: a.route.model,
        requestId: a.requestId,
        traceId: a.traceId,
      };
    },
    async *streamGenerate(request, context) {
      record('streamGenerate', context, request);
      if (request.model === 'slow') {
        yield { event: { case: 'delta', value: { text: 'waiting' } } };
        await waitForAbort(context);
        return;
      }
      if (request.model === 'fail/mid-stream') {
        yield { event: { case: 'delta', value: { text: 'partial ' } } };
        throw unavailable('the provider stream broke after 1 delta; no fallback after the first token', 'UPSTREAM_STREAM_BROKEN');
      }
      const failure = scriptedFailure(request.model);
      if (failure) throw failure;
      const a = answer(request, context, true);
      if (options.announceRoute ?? true) {
        context.setHeader('x-switchyard-route', `${a.route.provider}/${a.route.model}`);
        context.setHeader('x-switchyard-route-rule', a.decision.rule);
        context.setHeader('x-switchyard-trace-id', a.traceId);
      }
      for (const text of splitTextDeltas(a.reply.text, 1)) yield { event: { case: 'delta', value: { text } } };
      for (const [index, call] of a.reply.toolCalls.entries()) {
        const half = Math.ceil(call.arguments.length / 2);
        yield { event: { case: 'delta', value: { toolCallIndex: index, toolCall: { id: call.id, name: call.name, argumentsJson: call.arguments.slice(0, half) } } } };
        yield { event: { case: 'delta', value: { toolCallIndex: index, toolCall: { argumentsJson: call.arguments.slice(half) } } } };
      }
      a.bill();
      yield {
        event: {
          case: 'final',
          value: { finishReason: FINISH[a.reply.finishReason], usage: a.usage, cost: a.cost, route: a.decision, responseModel: a.route.model, requestId: a.requestId, traceId: a.traceId },
        },
      };
    },
    async explainRoute() {
      return {};
    },
    async listModels(request, context) {
      record('listModels', context);
      const offset = request.pageToken === '' ? 0 : Number(request.pageToken);
      const size = Math.min(request.pageSize || 100, maxPageSize);
      const page = CATALOG.slice(offset, offset + size);
      const next = offset + size < CATALOG.length ? String(offset + size) : '';
      return {
        models: page.map((m) => ({
          info: {
            ref: { provider: m.provider, model: m.model, deployment: m.deployment },
            displayName: m.model,
            capabilities: { contextWindowTokens: 128_000n, maxOutputTokens: 16_384n, tools: true, jsonOutput: true, structuredOutput: true, streaming: true },
            price: { version: 'fake-1', inputNanosUsdPerMtok: 150_000_000n, outputNanosUsdPerMtok: 600_000_000n },
          },
          available: m.available,
          unavailableReason: m.available ? '' : 'circuit open',
        })),
        nextPageToken: next,
        aliases: ['switchyard/auto'],
      };
    },
  };

  const server: RunningGrpcServer = await startGrpcServer({
    name: 'fake-router',
    address: '127.0.0.1:0',
    errorDomain: 'router.switchyard.dev',
    services: [{ service: router.RouterService, implementation }],
    authenticate: createApiKeyAuthenticator(store),
    logger: createLogger({ service: 'fake-router', level: 'silent' }),
  });
  return { address: server.address, apiKey: issued.secret, calls, billed, close: () => server.shutdown(200) };
}
