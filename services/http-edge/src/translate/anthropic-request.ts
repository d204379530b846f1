import type { JsonObject, MessageInitShape } from '@bufbuild/protobuf';
import { common } from '@switchyard/contracts';
import { z } from 'zod';
import { EdgeRequestError } from './edge-request-error';
import { anthropicFieldPath } from './field-path';
import { imageFromBase64, imageFromUrl } from './image-source';
import { callerContext, type ChatMessageInit, type GenerateInit, type RouterCaller } from './router-caller';
import { rejectUpstreamFields } from './upstream-field-guard';
import { parseBody } from './zod-issues';

// The body came from JSON.parse, so every object in it is JSON.
const jsonObject = z.record(z.string(), z.unknown()).transform((value) => value as JsonObject);
const textBlock = z.object({ type: z.literal('text'), text: z.string() });
const imageBlock = z.object({
  type: z.literal('image'),
  source: z.discriminatedUnion('type', [
    z.object({ type: z.literal('base64'), media_type: z.enum(['image/jpeg', 'image/png', 'image/gif', 'image/webp']), data: z.string().min(1) }),
    z.object({ type: z.literal('url'), url: z.string().min(1) }),
  ]),
});
const toolUseBlock = z.object({ type: z.literal('tool_use'), id: z.string().min(1), name: z.string().min(1), input: z.unknown() });
const toolResultBlock = z.object({
  type: z.literal('tool_result'),
  tool_use_id: z.string().min(1),
  content: z.union([z.string(), z.array(z.discriminatedUnion('type', [textBlock, imageBlock]))]).nullish(),
  is_error: z.boolean().nullish(),
});
// Earlier extended-thinking turns come back in assistant messages; they are not forwarded.
const thinkingBlock = z.object({ type: z.literal('thinking'), thinking: z.string() });
const redactedThinkingBlock = z.object({ type: z.literal('redacted_thinking'), data: z.string() });
const contentBlock = z.discriminatedUnion('type', [textBlock, imageBlock, toolUseBlock, toolResultBlock, thinkingBlock, redactedThinkingBlock]);
const jsonSchemaFormat = z.object({ type: z.literal('json_schema'), schema: jsonObject });

/** The Messages request fields the edge reads; everything else is ignored (see IGNORED_FIELDS). */
export const messagesBodySchema = z.object({
  model: z.string().min(1),
  max_tokens: z.number().int().min(1),
  messages: z.array(z.object({ role: z.enum(['user', 'assistant']), content: z.union([z.string(), z.array(contentBlock)]) })).min(1),
  system: z.union([z.string(), z.array(textBlock)]).nullish(),
  stop_sequences: z.array(z.string()).nullish(),
  temperature: z.number().min(0).max(1).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  metadata: z.object({ user_id: z.string().nullish() }).nullish(),
  tools: z
    .array(
      z.object({
        type: z.literal('custom', { error: 'only client tools (type "custom") are supported, not Anthropic server tools' }).nullish(),
        name: z.string().min(1),
        description: z.string().nullish(),
        input_schema: jsonObject,
        strict: z.boolean().nullish(),
      }),
    )
    .nullish(),
  tool_choice: z
    .discriminatedUnion('type', [
      z.object({ type: z.literal('auto') }),
      z.object({ type: z.literal('any') }),
      z.object({ type: z.literal('none') }),
      z.object({ type: z.literal('tool'), name: z.string().min(1) }),
    ])
    .nullish(),
  stream: z.boolean().nullish(),
  output_config: z.object({ format: jsonSchemaFormat.nullish() }).nullish(),
  output_format: jsonSchemaFormat.nullish(),
});

/** A validated Messages body. */
export type MessagesBody = z.output<typeof messagesBodySchema>;

// Real Anthropic parameters that only tune a provider: accepted and not forwarded.
const IGNORED_FIELDS = ['top_k', 'service_tier', 'thinking', 'context_management', 'inference_geo'];
// Real Anthropic parameters the edge cannot honour: refused with a message.
const REFUSED_FIELDS: Record<string, string> = {
  mcp_servers: 'MCP servers are named by URL, and Switchyard never connects to a server named in a request.',
  container: 'code-execution containers are not supported by Switchyard.',
};
const KNOWN_FIELDS = new Set([...Object.keys(messagesBodySchema.shape), ...IGNORED_FIELDS, ...Object.keys(REFUSED_FIELDS)]);

/** The router request for a Messages body. */
export interface TranslatedMessages {
  readonly request: GenerateInit;
  readonly stream: boolean;
  /** The model the caller asked for. */
  readonly requestedModel: string;
}

/**
 * Translates a `POST /v1/messages` body into a router GenerateRequest. Pure: reads only the fields
 * it knows, never forwards a URL, and throws an EdgeRequestError naming the field (`messages.0.content`).
 * A user turn's `tool_result` blocks become TOOL messages (one per result) before its other content.
 */
export function messagesToRouterRequest(raw: unknown, caller: RouterCaller): TranslatedMessages {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new EdgeRequestError('The request body must be a JSON object.');
  const record = raw as Record<string, unknown>;
  rejectUpstreamFields(record, KNOWN_FIELDS, anthropicFieldPath);
  for (const [field, message] of Object.entries(REFUSED_FIELDS)) {
    if (record[field] !== undefined && record[field] !== null) throw new EdgeRequestError(`${field}: ${message}`, field);
  }
  const body = parseBody(messagesBodySchema, raw, anthropicFieldPath);
  const messages: ChatMessageInit[] = [];
  if (body.system != null) {
    const texts = typeof body.system === 'string' ? [body.system] : body.system.map((block) => block.text);
    if (texts.some((text) => text !== '')) messages.push({ role: common.Role.SYSTEM, parts: texts.map(textPart) });
  }
  body.messages.forEach((message, index) => messages.push(...chatMessages(message, index)));

  const params: NonNullable<GenerateInit['params']> = {
    maxOutputTokens: body.max_tokens,
    stopSequences: [...(body.stop_sequences ?? [])],
    tools: (body.tools ?? []).map((tool) => ({
      name: tool.name,
      description: tool.description ?? '',
      parametersSchema: tool.input_schema,
      strict: tool.strict ?? false,
    })),
  };
  if (body.temperature != null) params.temperature = body.temperature;
  if (body.top_p != null) params.topP = body.top_p;
  if (body.tool_choice) params.toolChoice = toolChoice(body.tool_choice);
  const format = body.output_config?.format ?? body.output_format;
  if (format) params.responseFormat = { type: common.ResponseFormatType.JSON_SCHEMA, jsonSchema: format.schema, schemaName: 'response', strict: true };
  return {
    request: {
      model: body.model,
      messages,
      params,
      context: callerContext(caller, body.metadata?.user_id ?? undefined),
      routing: caller.routing,
    },
    stream: body.stream === true,
    requestedModel: body.model,
  };
}

type AnthropicMessage = MessagesBody['messages'][number];
type ContentBlock = Exclude<AnthropicMessage['content'], string>[number];
type PartInit = NonNullable<ChatMessageInit['parts']>[number];

function textPart(text: string): PartInit {
  return { kind: { case: 'text', value: text } };
}

function contentPart(block: ContentBlock, field: string): PartInit | undefined {
  if (block.type === 'text') return textPart(block.text);
  if (block.type !== 'image') return undefined;
  const image =
    block.source.type === 'base64' ? imageFromBase64(block.source.data, block.source.media_type) : imageFromUrl(block.source.url, `${field}.source.url`);
  return { kind: { case: 'image', value: { source: image.source, mediaType: image.mediaType } } };
}

function chatMessages(message: AnthropicMessage, index: number): ChatMessageInit[] {
  const role = message.role === 'user' ? common.Role.USER : common.Role.ASSISTANT;
  if (typeof message.content === 'string') return [{ role, parts: [textPart(message.content)] }];
  const out: ChatMessageInit[] = [];
  const parts: PartInit[] = [];
  const toolCalls: MessageInitShape<typeof common.ToolCallSchema>[] = [];
  message.content.forEach((block, blockIndex) => {
    const field = `messages.${index}.content.${blockIndex}`;
    if (block.type === 'tool_result') {
      if (message.role !== 'user') throw new EdgeRequestError(`${field}: tool_result blocks belong in user messages.`, `${field}.type`);
      const content = block.content ?? '';
      const resultParts =
        typeof content === 'string'
          ? [textPart(content)]
          : content.flatMap((inner, innerIndex) => contentPart(inner, `${field}.content.${innerIndex}`) ?? []);
      out.push({ role: common.Role.TOOL, toolCallId: block.tool_use_id, parts: resultParts, toolError: block.is_error ?? false });
    } else if (block.type === 'tool_use') {
      if (message.role !== 'assistant') throw new EdgeRequestError(`${field}: tool_use blocks belong in assistant messages.`, `${field}.type`);
      toolCalls.push({ id: block.id, name: block.name, argumentsJson: JSON.stringify(block.input ?? {}) });
    } else {
      const part = contentPart(block, field);
      if (part) parts.push(part);
    }
  });
  if (parts.length > 0 || toolCalls.length > 0 || out.length === 0) out.push({ role, parts, toolCalls });
  return out;
}

function toolChoice(choice: NonNullable<MessagesBody['tool_choice']>): NonNullable<GenerateInit['params']>['toolChoice'] {
  switch (choice.type) {
    case 'auto':
      return { mode: common.ToolChoiceMode.AUTO };
    case 'any':
      return { mode: common.ToolChoiceMode.REQUIRED };
    case 'none':
      return { mode: common.ToolChoiceMode.NONE };
    case 'tool':
      return { mode: common.ToolChoiceMode.NAMED, toolName: choice.name };
  }
}
