import type {
  ContentBlockParam,
  ImageBlockParam,
  MessageCreateParamsBase,
  MessageParam,
  TextBlockParam,
  Tool,
  ToolChoice,
  ToolResultBlockParam,
} from '@anthropic-ai/sdk/resources/messages';
import { common, type provider } from '@switchyard/contracts';
import { RequestTranslationError } from '@switchyard/provider-kit';

/** The fields of a Generate or StreamGenerate request the translator reads. */
export type GenerationInput = Pick<provider.GenerateRequest, 'model' | 'messages' | 'params' | 'endUserId'>;

/** Options of {@link toMessagesRequest}. */
export interface MessagesRequestOptions {
  /** Build a streamed request. */
  readonly stream: boolean;
  /** `max_tokens` when the caller sets none (Anthropic requires one). */
  readonly defaultMaxTokens: number;
  /** The model name Anthropic knows, when it differs from our id. */
  readonly upstreamModel?: string;
}

/** Anthropic has no JSON-object mode without a schema; this instruction asks for one. */
export const JSON_OBJECT_INSTRUCTION = 'Respond with a single valid JSON object and nothing else: no prose, no code fences.';

const IMAGE_MEDIA_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);
const MAX_STOP_SEQUENCES = 4;

type ImageMediaType = 'image/png' | 'image/jpeg' | 'image/gif' | 'image/webp';
type UserBlock = TextBlockParam | ImageBlockParam | ToolResultBlockParam;

/**
 * Translates our request into a Messages API body. System messages become the top-level `system`;
 * tool results become `tool_result` blocks of a user turn; consecutive turns of one role are merged
 * (Anthropic wants every tool result of a turn in the next user message). Pure; throws
 * {@link RequestTranslationError} naming the field when the request cannot be expressed.
 */
export function toMessagesRequest(input: GenerationInput, options: MessagesRequestOptions): MessageCreateParamsBase {
  if (input.messages.length === 0) throw new RequestTranslationError('messages', 'at least one message is required');
  const system: string[] = [];
  const turns: MessageParam[] = [];
  const push = (role: 'user' | 'assistant', blocks: ContentBlockParam[]) => {
    const last = turns[turns.length - 1];
    if (last && last.role === role) (last.content as ContentBlockParam[]).push(...blocks);
    else turns.push({ role, content: blocks });
  };
  input.messages.forEach((message, index) => {
    const field = `messages[${index}]`;
    switch (message.role) {
      case common.Role.SYSTEM:
        rejectToolFields(message, field);
        system.push(textOnly(message, field, 'system'));
        break;
      case common.Role.USER:
        rejectToolFields(message, field);
        push('user', userBlocks(message.parts, field, true));
        break;
      case common.Role.ASSISTANT:
        push('assistant', assistantBlocks(message, field));
        break;
      case common.Role.TOOL: {
        if (!message.toolCallId) throw new RequestTranslationError(`${field}.tool_call_id`, 'a tool message must name the tool call it answers');
        if (message.toolCalls.length > 0) throw new RequestTranslationError(`${field}.tool_calls`, 'only an assistant message calls tools');
        const content = userBlocks(message.parts, field, false) as Array<TextBlockParam | ImageBlockParam>;
        push('user', [{ type: 'tool_result', tool_use_id: message.toolCallId, ...(content.length > 0 ? { content } : {}), ...(message.toolError ? { is_error: true } : {}) }]);
        break;
      }
      default:
        throw new RequestTranslationError(`${field}.role`, 'must be SYSTEM, USER, ASSISTANT or TOOL');
    }
  });
  if (turns.length === 0) throw new RequestTranslationError('messages', 'needs at least one user or assistant message besides system ones');

  const params = input.params;
  const maxTokens = params?.maxOutputTokens ?? options.defaultMaxTokens;
  if (maxTokens < 1) throw new RequestTranslationError('params.max_output_tokens', 'must be at least 1');
  const body: MessageCreateParamsBase = { model: options.upstreamModel ?? input.model, max_tokens: maxTokens, messages: turns };
  if (params) {
    // API version 2026-10-21 (SDK 1.x) removed temperature and top_p, and there never was a seed:
    // they are best-effort sampling hints, so they are dropped rather than failing the request.
    if (params.stopSequences.length > MAX_STOP_SEQUENCES) {
      throw new RequestTranslationError('params.stop_sequences', `at most ${MAX_STOP_SEQUENCES} stop sequences`);
    }
    if (params.stopSequences.length > 0) body.stop_sequences = [...params.stopSequences];
    if (params.tools.length > 0) body.tools = params.tools.map((tool, index) => toTool(tool, `params.tools[${index}]`));
    const choice = toToolChoice(params.toolChoice, params.tools);
    if (choice) body.tool_choice = choice;
    switch (params.responseFormat?.type) {
      case common.ResponseFormatType.JSON_OBJECT:
        system.push(JSON_OBJECT_INSTRUCTION);
        break;
      case common.ResponseFormatType.JSON_SCHEMA:
        if (!params.responseFormat.jsonSchema) {
          throw new RequestTranslationError('params.response_format.json_schema', 'JSON_SCHEMA needs a schema');
        }
        body.output_config = { format: { type: 'json_schema', schema: params.responseFormat.jsonSchema } };
        break;
      default:
        break;
    }
  }
  if (system.length === 1) body.system = system[0];
  else if (system.length > 1) body.system = system.map((text) => ({ type: 'text', text }));
  if (input.endUserId) body.metadata = { user_id: input.endUserId };
  if (options.stream) body.stream = true;
  return body;
}

function rejectToolFields(message: common.ChatMessage, field: string): void {
  if (message.toolCalls.length > 0) throw new RequestTranslationError(`${field}.tool_calls`, 'only an assistant message calls tools');
  if (message.toolCallId) throw new RequestTranslationError(`${field}.tool_call_id`, 'only a tool message answers a tool call');
  if (message.toolError) throw new RequestTranslationError(`${field}.tool_error`, 'only a tool message reports a failed tool call');
}

function textOnly(message: common.ChatMessage, field: string, role: string): string {
  let text = '';
  message.parts.forEach((part, index) => {
    if (part.kind.case === 'text') text += part.kind.value;
    else throw new RequestTranslationError(`${field}.parts[${index}]`, `a ${role} message may only contain text`);
  });
  return text;
}

// Anthropic rejects empty text blocks, so empty text parts are left out.
function userBlocks(parts: readonly common.ContentPart[], field: string, required: boolean): UserBlock[] {
  const blocks: UserBlock[] = [];
  parts.forEach((part, index) => {
    const partField = `${field}.parts[${index}]`;
    switch (part.kind.case) {
      case 'text':
        if (part.kind.value !== '') blocks.push({ type: 'text', text: part.kind.value });
        break;
      case 'image':
        blocks.push(toImageBlock(part.kind.value, `${partField}.image`));
        break;
      default:
        throw new RequestTranslationError(partField, 'a content part must be text or an image');
    }
  });
  if (required && blocks.length === 0) throw new RequestTranslationError(`${field}.parts`, 'a user message needs non-empty content');
  return blocks;
}

function toImageBlock(image: common.ImagePart, field: string): ImageBlockParam {
  switch (image.source.case) {
    case 'url':
      if (!/^https:\/\//i.test(image.source.value)) throw new RequestTranslationError(`${field}.url`, 'must be an https URL');
      return { type: 'image', source: { type: 'url', url: image.source.value } };
    case 'data':
      if (!IMAGE_MEDIA_TYPES.has(image.mediaType)) {
        throw new RequestTranslationError(`${field}.media_type`, 'must be image/png, image/jpeg, image/gif or image/webp');
      }
      return {
        type: 'image',
        source: { type: 'base64', media_type: image.mediaType as ImageMediaType, data: Buffer.from(image.source.value).toString('base64') },
      };
    default:
      throw new RequestTranslationError(field, 'an image needs a url or data');
  }
}

function assistantBlocks(message: common.ChatMessage, field: string): ContentBlockParam[] {
  if (message.toolCallId) throw new RequestTranslationError(`${field}.tool_call_id`, 'only a tool message answers a tool call');
  if (message.toolError) throw new RequestTranslationError(`${field}.tool_error`, 'only a tool message reports a failed tool call');
  const text = textOnly(message, field, 'assistant');
  const blocks: ContentBlockParam[] = text === '' ? [] : [{ type: 'text', text }];
  message.toolCalls.forEach((call, index) => {
    const callField = `${field}.tool_calls[${index}]`;
    if (!call.id) throw new RequestTranslationError(`${callField}.id`, 'must be set');
    if (!call.name) throw new RequestTranslationError(`${callField}.name`, 'must be set');
    blocks.push({ type: 'tool_use', id: call.id, name: call.name, input: parseToolInput(call.argumentsJson, `${callField}.arguments_json`) });
  });
  if (blocks.length === 0) throw new RequestTranslationError(`${field}.parts`, 'an assistant message needs text or tool calls');
  return blocks;
}

// Anthropic takes tool input as an object, not text, so arguments must parse to one.
function parseToolInput(argumentsJson: string, field: string): Record<string, unknown> {
  if (argumentsJson.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(argumentsJson);
  } catch {
    throw new RequestTranslationError(field, 'must be a JSON object (Anthropic takes tool input as an object)');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new RequestTranslationError(field, 'must be a JSON object (Anthropic takes tool input as an object)');
  }
  return parsed as Record<string, unknown>;
}

function toTool(tool: common.ToolDefinition, field: string): Tool {
  if (!tool.name) throw new RequestTranslationError(`${field}.name`, 'must be set');
  return {
    name: tool.name,
    ...(tool.description ? { description: tool.description } : {}),
    input_schema: (tool.parametersSchema as Tool.InputSchema | undefined) ?? { type: 'object' },
    ...(tool.strict ? { strict: true } : {}),
  };
}

function toToolChoice(choice: common.ToolChoice | undefined, tools: readonly common.ToolDefinition[]): ToolChoice | undefined {
  switch (choice?.mode) {
    case undefined:
    case common.ToolChoiceMode.UNSPECIFIED:
      return undefined;
    case common.ToolChoiceMode.AUTO:
      return { type: 'auto' };
    case common.ToolChoiceMode.NONE:
      return { type: 'none' };
    case common.ToolChoiceMode.REQUIRED:
      if (tools.length === 0) throw new RequestTranslationError('params.tool_choice', 'REQUIRED needs at least one tool');
      return { type: 'any' };
    case common.ToolChoiceMode.NAMED:
      if (!tools.some((tool) => tool.name === choice.toolName)) {
        throw new RequestTranslationError('params.tool_choice.tool_name', "must name one of the request's tools");
      }
      return { type: 'tool', name: choice.toolName };
    default:
      throw new RequestTranslationError('params.tool_choice.mode', 'unknown mode');
  }
}
