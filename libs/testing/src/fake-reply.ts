import { createHash } from 'node:crypto';
import { sampleJsonSchema, type JsonSchema } from './json-schema-sample';
import type { ReplayTable } from './replay-table';
import { countTokens, truncateToTokens } from './token-count';

/** One message of a chat request, reduced to its role and text. */
export interface FakeChatMessage {
  /** `tool` is a tool result (OpenAI `role: "tool"`, Anthropic `tool_result` blocks). */
  readonly role: 'system' | 'user' | 'assistant' | 'tool';
  readonly text: string;
}

/** A tool the client offers. */
export interface FakeToolSpec {
  readonly name: string;
  readonly description?: string;
  /** JSON Schema of the arguments. */
  readonly parameters?: JsonSchema;
}

/** How the client lets the model use tools. */
export type FakeToolChoice =
  | { readonly mode: 'auto' }
  | { readonly mode: 'none' }
  | { readonly mode: 'required' }
  | { readonly mode: 'named'; readonly name: string };

/** The output format the client asks for. */
export type FakeResponseFormat =
  | { readonly type: 'text' }
  | { readonly type: 'json_object' }
  | { readonly type: 'json_schema'; readonly schema: JsonSchema };

/** A chat request, provider-neutral: what the reply rules look at. */
export interface FakeChatRequest {
  readonly model: string;
  readonly messages: readonly FakeChatMessage[];
  readonly tools: readonly FakeToolSpec[];
  readonly toolChoice: FakeToolChoice;
  readonly responseFormat: FakeResponseFormat;
  /** `max_tokens` / `max_completion_tokens`. */
  readonly maxOutputTokens?: number;
  readonly stopSequences: readonly string[];
  readonly stream: boolean;
}

/** A tool call in a reply. */
export interface FakeToolCall {
  readonly id: string;
  readonly name: string;
  /** The arguments as a JSON text. */
  readonly arguments: string;
}

/** Why generation stopped, provider-neutral. */
export type FakeFinishReason = 'stop' | 'length' | 'tool_calls' | 'stop_sequence';

/** A reply, provider-neutral; each fake renders it in its own wire format. */
export interface FakeChatReply {
  readonly text: string;
  readonly toolCalls: readonly FakeToolCall[];
  readonly finishReason: FakeFinishReason;
  /** The stop sequence that ended the text, when `finishReason` is `stop_sequence`. */
  readonly stopSequence: string | null;
  readonly outputTokens: number;
}

/** What a custom responder returns: text and/or tool calls; length limits and stop sequences still apply. */
export interface FakeReplyScript {
  readonly text?: string;
  readonly toolCalls?: ReadonlyArray<{ readonly name: string; readonly arguments: unknown }>;
  /** Output tokens to report; default: counted with cl100k. */
  readonly outputTokens?: number;
}

/** Returns a scripted reply for a request, or undefined for the default rules. */
export type FakeResponder = (request: FakeChatRequest) => FakeReplyScript | undefined;

/** Where replies come from, in order: the responder, then the replay table, then the default rules. */
export interface ReplySources {
  readonly respond?: FakeResponder;
  readonly replay?: ReplayTable;
  /** Prefix of tool call ids: `call_` (OpenAI) or `toolu_` (Anthropic). */
  readonly toolCallIdPrefix: string;
}

const PREVIEW_CHARS = 40;

/**
 * Composes the reply to a chat request. The default rules are deterministic:
 *
 * - Tool call (one) when tools are offered, the last message is from the user (not a tool result),
 *   and `toolChoice` is `named` (that tool), `required` (the first tool whose name appears in the last
 *   user message, else the first tool), or `auto` with a tool's name appearing in the last user message.
 *   Arguments satisfy the tool's parameter schema (see `sampleJsonSchema`).
 * - Otherwise text: `[model] answer to: <first 40 chars of the last user message>`, or after a tool
 *   result `[model] answer using tool result: <first 40 chars of it>`; for `json_object` the JSON
 *   `{"answer": <that text>}`, for `json_schema` a value satisfying the schema.
 * - A stop sequence in the text cuts it there (`stop_sequence`); then `maxOutputTokens` truncates
 *   it (`length`). Output tokens are counted with cl100k unless a recorded count applies.
 */
export function composeFakeReply(request: FakeChatRequest, sources: ReplySources): FakeChatReply {
  const script = sources.respond?.(request) ?? replayScript(request, sources.replay) ?? defaultScript(request);
  const toolCalls = (script.toolCalls ?? []).map((call, index) => ({
    id: toolCallId(sources.toolCallIdPrefix, request, call.name, index),
    name: call.name,
    arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments),
  }));
  if (toolCalls.length > 0) {
    const outputTokens =
      script.outputTokens ??
      countTokens(script.text ?? '') + toolCalls.reduce((sum, call) => sum + countTokens(call.name + call.arguments) + 4, 0);
    return { text: script.text ?? '', toolCalls, finishReason: 'tool_calls', stopSequence: null, outputTokens };
  }

  let text = script.text ?? '';
  let finishReason: FakeFinishReason = 'stop';
  let stopSequence: string | null = null;
  let cut = false;
  const stop = earliestStop(text, request.stopSequences);
  if (stop) {
    text = text.slice(0, stop.index);
    finishReason = 'stop_sequence';
    stopSequence = stop.sequence;
    cut = true;
  }
  if (request.maxOutputTokens !== undefined) {
    const truncated = truncateToTokens(text, request.maxOutputTokens);
    if (truncated.truncated) {
      text = truncated.text;
      finishReason = 'length';
      stopSequence = null;
      cut = true;
    }
  }
  const outputTokens = cut
    ? Math.min(countTokens(text), request.maxOutputTokens ?? Number.POSITIVE_INFINITY)
    : (script.outputTokens ?? countTokens(text));
  return { text, toolCalls: [], finishReason, stopSequence, outputTokens };
}

/** The text of the last user message (the prompt a replay table is keyed by). */
export function lastUserText(request: FakeChatRequest): string {
  for (let i = request.messages.length - 1; i >= 0; i--) {
    const message = request.messages[i];
    if (message?.role === 'user') return message.text;
  }
  return '';
}

function replayScript(request: FakeChatRequest, replay: ReplayTable | undefined): FakeReplyScript | undefined {
  if (!replay || request.tools.length > 0 || request.responseFormat.type !== 'text') return undefined;
  const last = request.messages[request.messages.length - 1];
  if (last?.role !== 'user') return undefined;
  const answer = replay.lookup(request.model, last.text);
  return answer ? { text: answer.text, outputTokens: answer.outputTokens } : undefined;
}

function defaultScript(request: FakeChatRequest): FakeReplyScript {
  const last = request.messages[request.messages.length - 1];
  const tool = last?.role === 'user' ? chooseTool(request, last.text) : undefined;
  if (tool) {
    return { toolCalls: [{ name: tool.name, arguments: sampleJsonSchema(tool.parameters ?? { type: 'object' }) }] };
  }
  const text =
    last?.role === 'tool'
      ? `[${request.model}] answer using tool result: ${preview(last.text)}`
      : `[${request.model}] answer to: ${preview(lastUserText(request))}`;
  switch (request.responseFormat.type) {
    case 'json_object':
      return { text: JSON.stringify({ answer: text }) };
    case 'json_schema':
      return { text: JSON.stringify(sampleJsonSchema(request.responseFormat.schema)) };
    default:
      return { text };
  }
}

function chooseTool(request: FakeChatRequest, userText: string): FakeToolSpec | undefined {
  if (request.tools.length === 0) return undefined;
  const mentioned = request.tools.find((tool) => userText.toLowerCase().includes(tool.name.toLowerCase()));
  switch (request.toolChoice.mode) {
    case 'none':
      return undefined;
    case 'named': {
      const name = request.toolChoice.name;
      return request.tools.find((tool) => tool.name === name) ?? { name };
    }
    case 'required':
      return mentioned ?? request.tools[0];
    case 'auto':
      return mentioned;
  }
}

function preview(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, PREVIEW_CHARS);
}

function earliestStop(text: string, stops: readonly string[]): { index: number; sequence: string } | undefined {
  let best: { index: number; sequence: string } | undefined;
  for (const sequence of stops) {
    if (!sequence) continue;
    const index = text.indexOf(sequence);
    if (index >= 0 && (!best || index < best.index)) best = { index, sequence };
  }
  return best;
}

// Same request, same id: golden tests can compare tool call ids.
function toolCallId(prefix: string, request: FakeChatRequest, name: string, index: number): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([request.model, request.messages, name, index]))
    .digest('base64url')
    .replace(/[-_]/g, '')
    .slice(0, 24);
  return `${prefix}${digest}`;
}

/** Splits text into stream deltas of `wordsPerDelta` words, each word keeping its leading whitespace. */
export function splitTextDeltas(text: string, wordsPerDelta = 1): string[] {
  const words = text.match(/\s*\S+|\s+$/g) ?? [];
  const size = Math.max(1, Math.floor(wordsPerDelta));
  const deltas: string[] = [];
  for (let i = 0; i < words.length; i += size) deltas.push(words.slice(i, i + size).join(''));
  return deltas;
}

/** Splits text into pieces of at most `size` characters (how tool arguments are streamed). */
export function splitFixed(text: string, size: number): string[] {
  const pieces: string[] = [];
  for (let i = 0; i < text.length; i += size) pieces.push(text.slice(i, i + size));
  return pieces;
}
