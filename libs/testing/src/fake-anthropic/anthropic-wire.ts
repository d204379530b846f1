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

type Json = Record<string, unknown>;

/** A Messages request as the fake reads it, with its input token count. */
export interface AnthropicMessagesExchange {
  readonly request: FakeChatRequest;
  readonly inputTokens: number;
}

/**
 * Reads a `POST /v1/messages` body; returns an error message when Anthropic would answer 400.
 * `requireMaxTokens` is false for `count_tokens`, which takes no `max_tokens`.
 */
export function parseMessagesRequest(body: unknown, requireMaxTokens = true): AnthropicMessagesExchange | { error: string } {
  if (!isObject(body)) return { error: 'The request body must be a JSON object.' };
  const model = body['model'];
  if (typeof model !== 'string' || model === '') return { error: 'model: Field required' };
  const maxTokens = body['max_tokens'];
  if (requireMaxTokens && (typeof maxTokens !== 'number' || maxTokens < 1)) {
    return { error: 'max_tokens: Field required (an integer ≥ 1)' };
  }
  const rawMessages = body['messages'];
  if (!Array.isArray(rawMessages) || rawMessages.length === 0) return { error: 'messages: at least one message is required' };

  const messages: FakeChatMessage[] = [];
  const system = blocksText(body['system']);
  if (system) messages.push({ role: 'system', text: system });
  for (const raw of rawMessages) {
    if (!isObject(raw) || (raw['role'] !== 'user' && raw['role'] !== 'assistant')) {
      return { error: "messages: each message needs role 'user' or 'assistant'" };
    }
    const content = raw['content'];
    const blocks = typeof content === 'string' ? [{ type: 'text', text: content }] : Array.isArray(content) ? content : [];
    const toolResults = blocks.filter((block) => isObject(block) && block['type'] === 'tool_result');
    if (toolResults.length > 0) {
      messages.push({ role: 'tool', text: toolResults.map((block) => blocksText((block as Json)['content'])).join('\n') });
    }
    const others = blocks.filter((block) => !(isObject(block) && block['type'] === 'tool_result'));
    if (others.length > 0 || toolResults.length === 0) {
      messages.push({ role: raw['role'], text: blocksText(others) });
    }
  }

  const tools: FakeToolSpec[] = [];
  if (Array.isArray(body['tools'])) {
    for (const tool of body['tools']) {
      if (!isObject(tool) || typeof tool['name'] !== 'string') return { error: 'tools: each tool needs a name' };
      tools.push({
        name: tool['name'],
        description: typeof tool['description'] === 'string' ? tool['description'] : undefined,
        parameters: isObject(tool['input_schema']) ? (tool['input_schema'] as JsonSchema) : undefined,
      });
    }
  }
  const stops = body['stop_sequences'];
  const request: FakeChatRequest = {
    model,
    messages,
    tools,
    toolChoice: toolChoice(body['tool_choice']),
    responseFormat: responseFormat(body),
    maxOutputTokens: typeof maxTokens === 'number' ? maxTokens : undefined,
    stopSequences: Array.isArray(stops) ? stops.filter((s): s is string => typeof s === 'string') : [],
    stream: body['stream'] === true,
  };
  return { request, inputTokens: countInputTokens(messages, tools) };
}

/** Input tokens: each message's text plus 3 framing tokens, plus the tool definitions as JSON. */
export function countInputTokens(messages: readonly FakeChatMessage[], tools: readonly FakeToolSpec[]): number {
  let total = 0;
  for (const message of messages) total += 3 + countTokens(message.text);
  if (tools.length > 0) total += countTokens(JSON.stringify(tools)) + 8;
  return total;
}

/** Identity of one message: id and model. */
export interface MessageIdentity {
  readonly id: string;
  readonly model: string;
}

/** The `usage` object of a message. */
export function messageUsage(inputTokens: number, outputTokens: number): Json {
  return {
    input_tokens: inputTokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
    cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
    output_tokens: outputTokens,
    service_tier: 'standard',
  };
}

/** The non-streamed `message` body. */
export function renderMessage(identity: MessageIdentity, inputTokens: number, reply: FakeChatReply): Json {
  const content: Json[] = [];
  if (reply.text !== '' || reply.toolCalls.length === 0) content.push({ type: 'text', text: reply.text });
  for (const call of reply.toolCalls) {
    content.push({ type: 'tool_use', id: call.id, name: call.name, input: parseArguments(call.arguments) });
  }
  return {
    id: identity.id,
    type: 'message',
    role: 'assistant',
    model: identity.model,
    content,
    stop_reason: stopReason(reply.finishReason),
    stop_sequence: reply.stopSequence,
    usage: messageUsage(inputTokens, reply.outputTokens),
  };
}

/**
 * The streamed answer: `message_start`, `ping`, per block `content_block_start` →
 * `content_block_delta`* (`text_delta` / `input_json_delta`) → `content_block_stop`,
 * then `message_delta` with the stop reason and usage, then `message_stop`.
 */
export function renderMessageEvents(
  identity: MessageIdentity,
  inputTokens: number,
  reply: FakeChatReply,
  options: { wordsPerChunk: number },
): SseMessage[] {
  const event = (type: string, body: Json): SseMessage => ({ event: type, data: JSON.stringify({ type, ...body }) });
  const events: SseMessage[] = [
    event('message_start', {
      message: {
        id: identity.id,
        type: 'message',
        role: 'assistant',
        model: identity.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: messageUsage(inputTokens, 1),
      },
    }),
    event('ping', {}),
  ];
  let index = 0;
  if (reply.text !== '' || reply.toolCalls.length === 0) {
    events.push(event('content_block_start', { index, content_block: { type: 'text', text: '' } }));
    for (const text of splitTextDeltas(reply.text, options.wordsPerChunk)) {
      events.push(event('content_block_delta', { index, delta: { type: 'text_delta', text } }));
    }
    events.push(event('content_block_stop', { index }));
    index++;
  }
  for (const call of reply.toolCalls) {
    events.push(event('content_block_start', { index, content_block: { type: 'tool_use', id: call.id, name: call.name, input: {} } }));
    for (const partial_json of splitFixed(call.arguments, 12)) {
      events.push(event('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json } }));
    }
    events.push(event('content_block_stop', { index }));
    index++;
  }
  events.push(
    event('message_delta', {
      delta: { stop_reason: stopReason(reply.finishReason), stop_sequence: reply.stopSequence },
      usage: {
        input_tokens: inputTokens,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
        output_tokens: reply.outputTokens,
      },
    }),
  );
  events.push(event('message_stop', {}));
  return events;
}

/** An event whose data is not JSON (the `malformed_sse` fault). */
export const MALFORMED_ANTHROPIC_EVENT: SseMessage = {
  event: 'content_block_delta',
  data: '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":',
};

const MODEL_CREATED_AT = '2025-01-01T00:00:00Z';

/** The `GET /v1/models` page (all models, one page). */
export function renderModelPage(models: readonly string[]): Json {
  return {
    data: models.map(renderModelInfo),
    has_more: false,
    first_id: models[0] ?? null,
    last_id: models[models.length - 1] ?? null,
  };
}

/** One model object. */
export function renderModelInfo(id: string): Json {
  return { type: 'model', id, display_name: id, created_at: MODEL_CREATED_AT };
}

/** An error in Anthropic's shape `{"type":"error","error":{"type","message"}}`. */
export function anthropicError(kind: UpstreamErrorKind, message?: string, retryAfterSeconds = 1): UpstreamErrorResponse {
  const error = (status: number, type: string, fallback: string, headers?: Record<string, string>) => ({
    status,
    body: { type: 'error', error: { type, message: message ?? fallback } },
    headers,
  });
  switch (kind) {
    case 'authentication':
      return error(401, 'authentication_error', 'invalid x-api-key');
    case 'rate_limit':
      return error(429, 'rate_limit_error', 'This request would exceed the rate limit for your organization.', {
        'retry-after': String(retryAfterSeconds),
        'anthropic-ratelimit-requests-remaining': '0',
      });
    case 'server_error':
      return error(500, 'api_error', 'Internal server error');
    case 'unavailable':
      return error(503, 'api_error', 'Service unavailable');
    case 'overloaded':
      return error(529, 'overloaded_error', 'Overloaded');
    case 'bad_request':
      return error(400, 'invalid_request_error', 'Invalid request.');
    case 'not_found':
      return error(404, 'not_found_error', 'Not found.');
  }
}

function stopReason(reason: FakeFinishReason): string {
  switch (reason) {
    case 'stop':
      return 'end_turn';
    case 'length':
      return 'max_tokens';
    case 'tool_calls':
      return 'tool_use';
    case 'stop_sequence':
      return 'stop_sequence';
  }
}

function blocksText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  const parts: string[] = [];
  for (const block of content) {
    if (!isObject(block)) continue;
    if (typeof block['text'] === 'string') parts.push(block['text']);
    else if (block['type'] === 'tool_use') parts.push(`${String(block['name'])}(${JSON.stringify(block['input'])})`);
    else if (block['type'] === 'tool_result') parts.push(blocksText(block['content']));
  }
  return parts.join('\n');
}

function toolChoice(raw: unknown): FakeToolChoice {
  if (!isObject(raw)) return { mode: 'auto' };
  switch (raw['type']) {
    case 'none':
      return { mode: 'none' };
    case 'any':
      return { mode: 'required' };
    case 'tool':
      return typeof raw['name'] === 'string' ? { mode: 'named', name: raw['name'] } : { mode: 'required' };
    default:
      return { mode: 'auto' };
  }
}

// Structured outputs: `output_config.format` (current) or the older beta `output_format`.
function responseFormat(body: Json): FakeResponseFormat {
  const config = body['output_config'];
  const format = isObject(config) ? config['format'] : body['output_format'];
  if (isObject(format) && format['type'] === 'json_schema' && isObject(format['schema'])) {
    return { type: 'json_schema', schema: format['schema'] as JsonSchema };
  }
  return { type: 'text' };
}

function parseArguments(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return {};
  }
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
