import { common, type provider } from '@switchyard/contracts';
import type { ChatDialect } from './chat-dialect';
import type {
  ChatCompletionRequest,
  ChatImagePart,
  ChatMessageParam,
  ChatResponseFormat,
  ChatTextPart,
  ChatTool,
  ChatToolChoice,
  JsonObject,
} from './chat-wire';
import { RequestTranslationError } from '@switchyard/provider-kit';

/** The fields of a Generate or StreamGenerate request the translator reads. */
export type GenerationInput = Pick<provider.GenerateRequest, 'model' | 'messages' | 'params' | 'endUserId'>;

/** Options of {@link toChatCompletionRequest}. */
export interface ChatRequestOptions {
  /** Wire differences of the target server. */
  readonly dialect: ChatDialect;
  /** Build a streamed request (`stream: true`, plus `stream_options` when the dialect supports it). */
  readonly stream: boolean;
  /** The model name the upstream knows, when it differs from our model id (e.g. vLLM's served name). */
  readonly upstreamModel?: string;
}

const IMAGE_MEDIA_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);
const IMAGE_DETAILS = new Set(['auto', 'low', 'high']);
const MAX_STOP_SEQUENCES = 4;

/**
 * Translates our request into a Chat Completions body. Pure; throws {@link RequestTranslationError}
 * naming the field when the request cannot be expressed.
 */
export function toChatCompletionRequest(input: GenerationInput, options: ChatRequestOptions): ChatCompletionRequest {
  const { dialect } = options;
  if (input.messages.length === 0) throw new RequestTranslationError('messages', 'at least one message is required');
  const body: ChatCompletionRequest = {
    model: options.upstreamModel ?? input.model,
    messages: input.messages.map((message, index) => toChatMessage(message, `messages[${index}]`, dialect)),
  };
  const params = input.params;
  if (params) {
    if (params.maxOutputTokens !== undefined) {
      if (params.maxOutputTokens < 1) throw new RequestTranslationError('params.max_output_tokens', 'must be at least 1');
      body[dialect.maxTokensField] = params.maxOutputTokens;
    }
    if (params.temperature !== undefined) body.temperature = params.temperature;
    if (params.topP !== undefined) body.top_p = params.topP;
    if (params.stopSequences.length > MAX_STOP_SEQUENCES) {
      throw new RequestTranslationError('params.stop_sequences', `at most ${MAX_STOP_SEQUENCES} stop sequences`);
    }
    if (params.stopSequences.length > 0) body.stop = [...params.stopSequences];
    if (params.seed !== undefined) body.seed = safeInteger(params.seed, 'params.seed');
    const format = toResponseFormat(params.responseFormat);
    if (format) body.response_format = format;
    if (params.tools.length > 0) body.tools = params.tools.map((tool, index) => toChatTool(tool, `params.tools[${index}]`));
    const choice = toToolChoice(params.toolChoice, params.tools);
    if (choice) body.tool_choice = choice;
  }
  if (input.endUserId && dialect.endUserField !== 'none') body[dialect.endUserField] = input.endUserId;
  if (options.stream) {
    body.stream = true;
    if (dialect.streamUsage) body.stream_options = { include_usage: true };
  }
  return body;
}

function toChatMessage(message: common.ChatMessage, field: string, dialect: ChatDialect): ChatMessageParam {
  const name = message.name ? { name: message.name } : {};
  switch (message.role) {
    case common.Role.SYSTEM:
      rejectToolFields(message, field);
      return { role: dialect.systemRole, content: joinedText(message, field, 'system'), ...name };
    case common.Role.USER: {
      rejectToolFields(message, field);
      const parts = message.parts.map((part, index) => toUserPart(part, `${field}.parts[${index}]`));
      const onlyText = parts.length === 1 && parts[0]?.type === 'text';
      return { role: 'user', content: onlyText ? (parts[0] as ChatTextPart).text : parts, ...name };
    }
    case common.Role.ASSISTANT: {
      if (message.toolCallId) throw new RequestTranslationError(`${field}.tool_call_id`, 'only a tool message answers a tool call');
      if (message.toolError) throw new RequestTranslationError(`${field}.tool_error`, 'only a tool message reports a failed tool call');
      const text = joinedText(message, field, 'assistant');
      if (text === '' && message.toolCalls.length === 0) {
        throw new RequestTranslationError(`${field}.parts`, 'an assistant message needs text or tool calls');
      }
      return {
        role: 'assistant',
        content: text === '' && message.toolCalls.length > 0 ? null : text,
        ...(message.toolCalls.length > 0
          ? {
              tool_calls: message.toolCalls.map((call, index) => {
                if (!call.id) throw new RequestTranslationError(`${field}.tool_calls[${index}].id`, 'must be set');
                if (!call.name) throw new RequestTranslationError(`${field}.tool_calls[${index}].name`, 'must be set');
                return { id: call.id, type: 'function' as const, function: { name: call.name, arguments: call.argumentsJson || '{}' } };
              }),
            }
          : {}),
        ...name,
      };
    }
    case common.Role.TOOL:
      if (!message.toolCallId) throw new RequestTranslationError(`${field}.tool_call_id`, 'a tool message must name the tool call it answers');
      if (message.toolCalls.length > 0) throw new RequestTranslationError(`${field}.tool_calls`, 'only an assistant message calls tools');
      return { role: 'tool', tool_call_id: message.toolCallId, content: joinedText(message, field, 'tool') };
    default:
      throw new RequestTranslationError(`${field}.role`, 'must be SYSTEM, USER, ASSISTANT or TOOL');
  }
}

function rejectToolFields(message: common.ChatMessage, field: string): void {
  if (message.toolCalls.length > 0) throw new RequestTranslationError(`${field}.tool_calls`, 'only an assistant message calls tools');
  if (message.toolCallId) throw new RequestTranslationError(`${field}.tool_call_id`, 'only a tool message answers a tool call');
  if (message.toolError) throw new RequestTranslationError(`${field}.tool_error`, 'only a tool message reports a failed tool call');
}

// System, assistant and tool messages take text only on this wire; several text parts are concatenated.
function joinedText(message: common.ChatMessage, field: string, role: string): string {
  let text = '';
  message.parts.forEach((part, index) => {
    if (part.kind.case === 'text') text += part.kind.value;
    else throw new RequestTranslationError(`${field}.parts[${index}]`, `a ${role} message may only contain text`);
  });
  return text;
}

function toUserPart(part: common.ContentPart, field: string): ChatTextPart | ChatImagePart {
  switch (part.kind.case) {
    case 'text':
      return { type: 'text', text: part.kind.value };
    case 'image':
      return toImagePart(part.kind.value, `${field}.image`);
    default:
      throw new RequestTranslationError(field, 'a content part must be text or an image');
  }
}

function toImagePart(image: common.ImagePart, field: string): ChatImagePart {
  let url: string;
  switch (image.source.case) {
    case 'url':
      if (!/^https:\/\//i.test(image.source.value)) throw new RequestTranslationError(`${field}.url`, 'must be an https URL');
      url = image.source.value;
      break;
    case 'data':
      if (!IMAGE_MEDIA_TYPES.has(image.mediaType)) {
        throw new RequestTranslationError(`${field}.media_type`, 'must be image/png, image/jpeg, image/gif or image/webp');
      }
      url = `data:${image.mediaType};base64,${Buffer.from(image.source.value).toString('base64')}`;
      break;
    default:
      throw new RequestTranslationError(field, 'an image needs a url or data');
  }
  if (image.detail && !IMAGE_DETAILS.has(image.detail)) {
    throw new RequestTranslationError(`${field}.detail`, 'must be auto, low or high');
  }
  return { type: 'image_url', image_url: image.detail ? { url, detail: image.detail as 'auto' | 'low' | 'high' } : { url } };
}

function toChatTool(tool: common.ToolDefinition, field: string): ChatTool {
  if (!tool.name) throw new RequestTranslationError(`${field}.name`, 'must be set');
  return {
    type: 'function',
    function: {
      name: tool.name,
      ...(tool.description ? { description: tool.description } : {}),
      ...(tool.parametersSchema ? { parameters: tool.parametersSchema as JsonObject } : {}),
      ...(tool.strict ? { strict: true } : {}),
    },
  };
}

function toToolChoice(choice: common.ToolChoice | undefined, tools: readonly common.ToolDefinition[]): ChatToolChoice | undefined {
  switch (choice?.mode) {
    case undefined:
    case common.ToolChoiceMode.UNSPECIFIED:
      return undefined;
    case common.ToolChoiceMode.AUTO:
      return 'auto';
    case common.ToolChoiceMode.NONE:
      return 'none';
    case common.ToolChoiceMode.REQUIRED:
      if (tools.length === 0) throw new RequestTranslationError('params.tool_choice', 'REQUIRED needs at least one tool');
      return 'required';
    case common.ToolChoiceMode.NAMED:
      if (!tools.some((tool) => tool.name === choice.toolName)) {
        throw new RequestTranslationError('params.tool_choice.tool_name', `must name one of the request's tools`);
      }
      return { type: 'function', function: { name: choice.toolName } };
    default:
      throw new RequestTranslationError('params.tool_choice.mode', 'unknown mode');
  }
}

function toResponseFormat(format: common.ResponseFormat | undefined): ChatResponseFormat | undefined {
  switch (format?.type) {
    case undefined:
    case common.ResponseFormatType.UNSPECIFIED:
    case common.ResponseFormatType.TEXT:
      return undefined;
    case common.ResponseFormatType.JSON_OBJECT:
      return { type: 'json_object' };
    case common.ResponseFormatType.JSON_SCHEMA:
      if (!format.jsonSchema) throw new RequestTranslationError('params.response_format.json_schema', 'JSON_SCHEMA needs a schema');
      return {
        type: 'json_schema',
        json_schema: {
          name: format.schemaName || 'response',
          schema: format.jsonSchema as JsonObject,
          ...(format.strict ? { strict: true } : {}),
        },
      };
    default:
      throw new RequestTranslationError('params.response_format.type', 'unknown type');
  }
}

function safeInteger(value: bigint, field: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new RequestTranslationError(field, 'must fit in a JSON number (|seed| ≤ 2^53 − 1)');
  }
  return Number(value);
}
