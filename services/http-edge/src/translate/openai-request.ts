import type { JsonObject } from '@bufbuild/protobuf';
import { common } from '@switchyard/contracts';
import { z } from 'zod';
import { EdgeRequestError } from './edge-request-error';
import { openAIFieldPath } from './field-path';
import { imageFromUrl } from './image-source';
import { callerContext, type ChatMessageInit, type GenerateInit, type RouterCaller } from './router-caller';
import { rejectUpstreamFields } from './upstream-field-guard';
import { parseBody } from './zod-issues';

// The body came from JSON.parse, so every object in it is JSON.
const jsonObject = z.record(z.string(), z.unknown()).transform((value) => value as JsonObject);
const textPart = z.object({ type: z.literal('text'), text: z.string() });
const imagePart = z.object({
  type: z.literal('image_url'),
  image_url: z.object({ url: z.string().min(1), detail: z.enum(['auto', 'low', 'high']).nullish() }),
});
const refusalPart = z.object({ type: z.literal('refusal'), refusal: z.string() });
const textContent = z.union([z.string(), z.array(textPart)]);
const name = z.string().nullish();

const messageSchema = z.discriminatedUnion('role', [
  z.object({ role: z.literal('system'), content: textContent, name }),
  z.object({ role: z.literal('developer'), content: textContent, name }),
  z.object({ role: z.literal('user'), content: z.union([z.string(), z.array(z.discriminatedUnion('type', [textPart, imagePart]))]), name }),
  z.object({
    role: z.literal('assistant'),
    content: z.union([z.string(), z.array(z.discriminatedUnion('type', [textPart, refusalPart]))]).nullish(),
    refusal: z.string().nullish(),
    tool_calls: z
      .array(z.object({ id: z.string().min(1), type: z.literal('function').nullish(), function: z.object({ name: z.string().min(1), arguments: z.string() }) }))
      .nullish(),
    name,
  }),
  z.object({ role: z.literal('tool'), tool_call_id: z.string().min(1), content: textContent }),
]);

const responseFormatSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text') }),
  z.object({ type: z.literal('json_object') }),
  z.object({
    type: z.literal('json_schema'),
    json_schema: z.object({ name: z.string().min(1), description: z.string().nullish(), schema: jsonObject.nullish(), strict: z.boolean().nullish() }),
  }),
]);

const toolSchema = z.object({
  type: z.literal('function'),
  function: z.object({ name: z.string().min(1), description: z.string().nullish(), parameters: jsonObject.nullish(), strict: z.boolean().nullish() }),
});

const toolChoiceSchema = z.union([
  z.enum(['none', 'auto', 'required']),
  z.object({ type: z.literal('function'), function: z.object({ name: z.string().min(1) }) }),
]);

const maxTokens = z.number().int().min(1).nullish();

/** The Chat Completions request fields the edge reads; everything else is ignored (see IGNORED_FIELDS). */
export const chatCompletionBodySchema = z.object({
  model: z.string().min(1),
  messages: z.array(messageSchema).min(1),
  max_tokens: maxTokens,
  max_completion_tokens: maxTokens,
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(4)]).nullish(),
  seed: z.number().int().nullish(),
  n: z.literal(1, { error: 'Switchyard returns one choice per request; n must be 1.' }).nullish(),
  response_format: responseFormatSchema.nullish(),
  tools: z.array(toolSchema).nullish(),
  tool_choice: toolChoiceSchema.nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish() }).nullish(),
  user: z.string().nullish(),
  safety_identifier: z.string().nullish(),
});

/** A validated Chat Completions body. */
export type ChatCompletionBody = z.output<typeof chatCompletionBodySchema>;

// Real OpenAI parameters that only tune a provider's sampling or storage: accepted and not forwarded.
const IGNORED_FIELDS = [
  'frequency_penalty',
  'presence_penalty',
  'logit_bias',
  'logprobs',
  'top_logprobs',
  'parallel_tool_calls',
  'store',
  'metadata',
  'service_tier',
  'reasoning_effort',
  'verbosity',
  'prediction',
  'modalities',
  'web_search_options',
  'prompt_cache_key',
  'prompt_cache_retention',
];
// Real OpenAI parameters the edge cannot honour: refused with a message, not silently dropped.
const REFUSED_FIELDS: Record<string, string> = {
  functions: "'functions' is deprecated; send 'tools' instead.",
  function_call: "'function_call' is deprecated; send 'tool_choice' instead.",
  audio: 'audio output is not supported by Switchyard.',
};
const KNOWN_FIELDS = new Set([...Object.keys(chatCompletionBodySchema.shape), ...IGNORED_FIELDS, ...Object.keys(REFUSED_FIELDS)]);

/** The router request for a Chat Completions body, and the stream flags the response needs. */
export interface TranslatedChatCompletion {
  readonly request: GenerateInit;
  readonly stream: boolean;
  /** `stream_options.include_usage`: send a final `choices: []` chunk with usage. */
  readonly includeUsage: boolean;
  /** The model the caller asked for (a concrete model or an alias such as `switchyard/auto`). */
  readonly requestedModel: string;
}

/**
 * Translates a `POST /v1/chat/completions` body into a router GenerateRequest. Pure: reads only
 * the fields it knows, never forwards a URL, and throws an EdgeRequestError naming the field
 * (`messages[1].content`) for anything invalid.
 */
export function chatCompletionToRouterRequest(raw: unknown, caller: RouterCaller): TranslatedChatCompletion {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new EdgeRequestError('The request body must be a JSON object.');
  const record = raw as Record<string, unknown>;
  rejectUpstreamFields(record, KNOWN_FIELDS, openAIFieldPath);
  for (const [field, message] of Object.entries(REFUSED_FIELDS)) {
    if (record[field] !== undefined && record[field] !== null) throw new EdgeRequestError(`Unsupported parameter: ${message}`, field);
  }
  const body = parseBody(chatCompletionBodySchema, raw, openAIFieldPath);
  const params: NonNullable<GenerateInit['params']> = {
    stopSequences: body.stop == null ? [] : typeof body.stop === 'string' ? [body.stop] : [...body.stop],
    tools: (body.tools ?? []).map((tool) => ({
      name: tool.function.name,
      description: tool.function.description ?? '',
      parametersSchema: tool.function.parameters ?? undefined,
      strict: tool.function.strict ?? false,
    })),
  };
  const maxOutput = body.max_completion_tokens ?? body.max_tokens;
  if (maxOutput != null) params.maxOutputTokens = maxOutput;
  if (body.temperature != null) params.temperature = body.temperature;
  if (body.top_p != null) params.topP = body.top_p;
  if (body.seed != null) params.seed = BigInt(body.seed);
  if (body.response_format) params.responseFormat = responseFormat(body.response_format);
  if (body.tool_choice) params.toolChoice = toolChoice(body.tool_choice);
  const stream = body.stream === true;
  return {
    request: {
      model: body.model,
      messages: body.messages.map((message, index) => chatMessage(message, index)),
      params,
      context: callerContext(caller, body.safety_identifier ?? body.user ?? undefined),
      routing: caller.routing,
    },
    stream,
    includeUsage: stream && body.stream_options?.include_usage === true,
    requestedModel: body.model,
  };
}

type OpenAIMessage = ChatCompletionBody['messages'][number];

function chatMessage(message: OpenAIMessage, index: number): ChatMessageInit {
  switch (message.role) {
    case 'system':
    case 'developer':
      return { role: common.Role.SYSTEM, parts: textParts(message.content), name: message.name ?? '' };
    case 'user':
      return {
        role: common.Role.USER,
        name: message.name ?? '',
        parts:
          typeof message.content === 'string'
            ? textParts(message.content)
            : message.content.map((part, partIndex) => {
                if (part.type === 'text') return { kind: { case: 'text' as const, value: part.text } };
                const image = imageFromUrl(part.image_url.url, `messages[${index}].content[${partIndex}].image_url.url`);
                return { kind: { case: 'image' as const, value: { source: image.source, mediaType: image.mediaType, detail: part.image_url.detail ?? '' } } };
              }),
      };
    case 'assistant': {
      const content = message.content;
      const texts = content == null ? [] : typeof content === 'string' ? [content] : content.map((part) => (part.type === 'text' ? part.text : part.refusal));
      if (texts.length === 0 && message.refusal) texts.push(message.refusal);
      return {
        role: common.Role.ASSISTANT,
        name: message.name ?? '',
        parts: texts.filter((text) => text !== '').map((text) => ({ kind: { case: 'text' as const, value: text } })),
        toolCalls: (message.tool_calls ?? []).map((call) => ({ id: call.id, name: call.function.name, argumentsJson: call.function.arguments })),
      };
    }
    case 'tool':
      return { role: common.Role.TOOL, toolCallId: message.tool_call_id, parts: textParts(message.content) };
  }
}

function textParts(content: string | Array<{ text: string }>): ChatMessageInit['parts'] {
  const texts = typeof content === 'string' ? [content] : content.map((part) => part.text);
  return texts.map((text) => ({ kind: { case: 'text' as const, value: text } }));
}

function responseFormat(format: NonNullable<ChatCompletionBody['response_format']>): NonNullable<GenerateInit['params']>['responseFormat'] {
  return responseFormatParam(format.type === 'json_schema' ? { type: 'json_schema', ...format.json_schema } : format);
}

/** OpenAI's output format (plain text, any JSON object, or a named JSON schema) as ours; shared by Chat Completions and Responses. */
export function responseFormatParam(
  format: { type: 'text' | 'json_object' } | { type: 'json_schema'; name: string; schema?: JsonObject | null; strict?: boolean | null },
): NonNullable<GenerateInit['params']>['responseFormat'] {
  switch (format.type) {
    case 'text':
      return { type: common.ResponseFormatType.TEXT };
    case 'json_object':
      return { type: common.ResponseFormatType.JSON_OBJECT };
    case 'json_schema':
      return { type: common.ResponseFormatType.JSON_SCHEMA, jsonSchema: format.schema ?? {}, schemaName: format.name, strict: format.strict ?? false };
  }
}

function toolChoice(choice: NonNullable<ChatCompletionBody['tool_choice']>): NonNullable<GenerateInit['params']>['toolChoice'] {
  return toolChoiceParam(typeof choice === 'object' ? { name: choice.function.name } : choice);
}

/** OpenAI's tool_choice (a mode, or one named function) as ours; shared by Chat Completions and Responses. */
export function toolChoiceParam(choice: 'none' | 'auto' | 'required' | { name: string }): NonNullable<GenerateInit['params']>['toolChoice'] {
  if (typeof choice === 'object') return { mode: common.ToolChoiceMode.NAMED, toolName: choice.name };
  const modes = { none: common.ToolChoiceMode.NONE, auto: common.ToolChoiceMode.AUTO, required: common.ToolChoiceMode.REQUIRED } as const;
  return { mode: modes[choice] };
}
