import type { JsonSchema } from '../json-schema-sample';
import type {
  FakeChatMessage,
  FakeChatReply,
  FakeChatRequest,
  FakeFinishReason,
  FakeResponseFormat,
  FakeToolChoice,
  FakeToolSpec,
} from '../fake-reply';
import { splitFixed, splitTextDeltas } from '../fake-reply';
import type { SseMessage, UpstreamErrorKind, UpstreamErrorResponse } from '../fake-upstream';
import { countTokens } from '../token-count';

/** A chat completion request as the fake reads it, plus OpenAI-only stream flags. */
export interface OpenAIChatExchange {
  readonly request: FakeChatRequest;
  readonly includeUsage: boolean;
  readonly promptTokens: number;
}

type Json = Record<string, unknown>;

/** Reads a `POST /v1/chat/completions` body; returns an error message when OpenAI would answer 400. */
export function parseChatCompletionRequest(body: unknown): OpenAIChatExchange | { error: string } {
  if (!isObject(body)) return { error: 'The request body must be a JSON object.' };
  const model = body['model'];
  if (typeof model !== 'string' || model === '') return { error: 'you must provide a model parameter' };
  const rawMessages = body['messages'];
  if (!Array.isArray(rawMessages) || rawMessages.length === 0) {
    return { error: "[] is too short - 'messages'" };
  }
  const messages: FakeChatMessage[] = [];
  for (const raw of rawMessages) {
    if (!isObject(raw) || typeof raw['role'] !== 'string') return { error: "Invalid value for 'messages': each message needs a role." };
    messages.push({ role: neutralRole(raw['role']), text: messageText(raw) });
  }
  const tools: FakeToolSpec[] = [];
  if (Array.isArray(body['tools'])) {
    for (const tool of body['tools']) {
      const fn = isObject(tool) ? tool['function'] : undefined;
      if (!isObject(fn) || typeof fn['name'] !== 'string') return { error: "Missing required parameter: 'tools[].function.name'." };
      tools.push({
        name: fn['name'],
        description: typeof fn['description'] === 'string' ? fn['description'] : undefined,
        parameters: isObject(fn['parameters']) ? (fn['parameters'] as JsonSchema) : undefined,
      });
    }
  }
  const maxTokens = body['max_completion_tokens'] ?? body['max_tokens'];
  if (maxTokens !== undefined && maxTokens !== null && (typeof maxTokens !== 'number' || maxTokens < 1)) {
    return { error: "Invalid 'max_tokens': integer below minimum value. Expected a value >= 1." };
  }
  const stop = body['stop'];
  const request: FakeChatRequest = {
    model,
    messages,
    tools,
    toolChoice: toolChoice(body['tool_choice']),
    responseFormat: responseFormat(body['response_format']),
    maxOutputTokens: typeof maxTokens === 'number' ? maxTokens : undefined,
    stopSequences: typeof stop === 'string' ? [stop] : Array.isArray(stop) ? stop.filter((s) => typeof s === 'string') : [],
    stream: body['stream'] === true,
  };
  const streamOptions = body['stream_options'];
  return {
    request,
    includeUsage: isObject(streamOptions) && streamOptions['include_usage'] === true,
    promptTokens: countPromptTokens(messages, tools),
  };
}

/**
 * Prompt tokens the way OpenAI's cookbook counts them: 3 per message plus its role and text,
 * 3 to prime the reply, plus the tool definitions as JSON.
 */
export function countPromptTokens(messages: readonly FakeChatMessage[], tools: readonly FakeToolSpec[]): number {
  let total = 3;
  for (const message of messages) total += 3 + countTokens(message.role) + countTokens(message.text);
  if (tools.length > 0) total += countTokens(JSON.stringify(tools)) + 8;
  return total;
}

/** Identity of one completion: id, creation time (seconds), model. */
export interface CompletionIdentity {
  readonly id: string;
  readonly created: number;
  readonly model: string;
}

/** The `usage` object of a chat completion. */
export function chatUsage(promptTokens: number, reply: FakeChatReply): Json {
  return {
    prompt_tokens: promptTokens,
    completion_tokens: reply.outputTokens,
    total_tokens: promptTokens + reply.outputTokens,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

/** The non-streamed `chat.completion` body. */
export function renderChatCompletion(identity: CompletionIdentity, promptTokens: number, reply: FakeChatReply): Json {
  const message: Json = {
    role: 'assistant',
    content: reply.toolCalls.length > 0 && reply.text === '' ? null : reply.text,
    refusal: null,
    annotations: [],
  };
  if (reply.toolCalls.length > 0) {
    message['tool_calls'] = reply.toolCalls.map((call) => ({
      id: call.id,
      type: 'function',
      function: { name: call.name, arguments: call.arguments },
    }));
  }
  return {
    id: identity.id,
    object: 'chat.completion',
    created: identity.created,
    model: identity.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason(reply.finishReason) }],
    usage: chatUsage(promptTokens, reply),
    service_tier: 'default',
    system_fingerprint: 'fp_fake',
  };
}

/**
 * The streamed answer: a role chunk, content deltas of `wordsPerChunk` words, tool call pieces,
 * a `finish_reason` chunk, with `includeUsage` a `choices: []` usage chunk, then `[DONE]`.
 */
export function renderChatCompletionChunks(
  identity: CompletionIdentity,
  promptTokens: number,
  reply: FakeChatReply,
  options: { includeUsage: boolean; wordsPerChunk: number },
): SseMessage[] {
  const chunk = (choices: unknown[], usage?: Json): SseMessage => {
    const body: Json = {
      id: identity.id,
      object: 'chat.completion.chunk',
      created: identity.created,
      model: identity.model,
      service_tier: 'default',
      system_fingerprint: 'fp_fake',
      choices,
    };
    if (options.includeUsage) body['usage'] = usage ?? null;
    return { data: JSON.stringify(body) };
  };
  const delta = (content: Json, finish: string | null = null) => [
    { index: 0, delta: content, logprobs: null, finish_reason: finish },
  ];

  const events: SseMessage[] = [chunk(delta({ role: 'assistant', content: '', refusal: null }))];
  for (const piece of splitTextDeltas(reply.text, options.wordsPerChunk)) events.push(chunk(delta({ content: piece })));
  reply.toolCalls.forEach((call, index) => {
    events.push(
      chunk(delta({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } }] })),
    );
    for (const piece of splitFixed(call.arguments, 12)) {
      events.push(chunk(delta({ tool_calls: [{ index, function: { arguments: piece } }] })));
    }
  });
  events.push(chunk(delta({}, finishReason(reply.finishReason))));
  if (options.includeUsage) events.push(chunk([], chatUsage(promptTokens, reply)));
  events.push({ data: '[DONE]' });
  return events;
}

/** A line that looks like a chunk but is not JSON (the `malformed_sse` fault). */
export const MALFORMED_OPENAI_EVENT: SseMessage = { data: '{"id":"chatcmpl-malformed","choices":[{"delta":{"content":' };

/** The `GET /v1/models` list. */
export function renderModelList(models: readonly string[], createdSeconds: number): Json {
  return { object: 'list', data: models.map((id) => renderModel(id, createdSeconds)) };
}

/** One model object. */
export function renderModel(id: string, createdSeconds: number): Json {
  return { id, object: 'model', created: createdSeconds, owned_by: 'switchyard-fake' };
}

/** An error in OpenAI's shape `{"error":{"message","type","param","code"}}`. */
export function openAIError(kind: UpstreamErrorKind, message?: string, retryAfterSeconds = 1): UpstreamErrorResponse {
  const error = (status: number, type: string, code: string | null, fallback: string, headers?: Record<string, string>) => ({
    status,
    body: { error: { message: message ?? fallback, type, param: null, code } },
    headers,
  });
  switch (kind) {
    case 'authentication':
      return error(
        401,
        'invalid_request_error',
        'invalid_api_key',
        'Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.',
      );
    case 'rate_limit':
      return error(429, 'requests', 'rate_limit_exceeded', `Rate limit reached for requests. Please try again in ${retryAfterSeconds}s.`, {
        'retry-after': String(retryAfterSeconds),
        'x-ratelimit-remaining-requests': '0',
        'x-ratelimit-reset-requests': `${retryAfterSeconds}s`,
      });
    case 'server_error':
      return error(500, 'server_error', null, 'The server had an error while processing your request. Sorry about that!');
    case 'unavailable':
      return error(503, 'server_error', 'service_unavailable', 'The server is temporarily unable to handle your request.');
    case 'overloaded':
      return error(503, 'server_error', null, 'The engine is currently overloaded, please try again later.');
    case 'bad_request':
      return error(400, 'invalid_request_error', null, 'Invalid request.');
    case 'not_found':
      return error(404, 'invalid_request_error', null, 'Not found.');
  }
}

function finishReason(reason: FakeFinishReason): string {
  return reason === 'stop_sequence' ? 'stop' : reason;
}

function neutralRole(role: string): FakeChatMessage['role'] {
  if (role === 'system' || role === 'developer') return 'system';
  if (role === 'tool' || role === 'function') return 'tool';
  if (role === 'assistant') return 'assistant';
  return 'user';
}

function messageText(message: Json): string {
  const parts: string[] = [];
  const content = message['content'];
  if (typeof content === 'string') parts.push(content);
  else if (Array.isArray(content)) {
    for (const part of content) {
      if (isObject(part) && typeof part['text'] === 'string') parts.push(part['text']);
      else if (isObject(part) && typeof part['refusal'] === 'string') parts.push(part['refusal']);
    }
  }
  if (Array.isArray(message['tool_calls'])) {
    for (const call of message['tool_calls']) {
      const fn = isObject(call) ? call['function'] : undefined;
      if (isObject(fn)) parts.push(`${String(fn['name'])}(${String(fn['arguments'])})`);
    }
  }
  return parts.join('\n');
}

function toolChoice(raw: unknown): FakeToolChoice {
  if (raw === 'none') return { mode: 'none' };
  if (raw === 'required') return { mode: 'required' };
  if (isObject(raw)) {
    const fn = raw['function'];
    if (isObject(fn) && typeof fn['name'] === 'string') return { mode: 'named', name: fn['name'] };
  }
  return { mode: 'auto' };
}

function responseFormat(raw: unknown): FakeResponseFormat {
  if (!isObject(raw)) return { type: 'text' };
  if (raw['type'] === 'json_object') return { type: 'json_object' };
  if (raw['type'] === 'json_schema') {
    const spec = raw['json_schema'];
    const schema = isObject(spec) && isObject(spec['schema']) ? (spec['schema'] as JsonSchema) : {};
    return { type: 'json_schema', schema };
  }
  return { type: 'text' };
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
