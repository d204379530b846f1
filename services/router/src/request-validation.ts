import { common, type router } from '@switchyard/contracts';
import { invalidArgument } from '@switchyard/grpc-kit';

/** The fields Generate, StreamGenerate and ExplainRoute share. */
export type RoutedRequest = Pick<router.GenerateRequest, 'messages' | 'params' | 'model' | 'context' | 'routing'>;

/** Limits on a routed request (defaults below). */
export interface RequestLimits {
  maxMessages: number;
  maxTools: number;
  maxStopSequences: number;
  maxFeatureTags: number;
  maxOutputTokens: number;
}

/** Defaults: generous enough for real use, tight enough to refuse nonsense early. */
export const DEFAULT_REQUEST_LIMITS: RequestLimits = {
  maxMessages: 1000,
  maxTools: 128,
  maxStopSequences: 4,
  maxFeatureTags: 16,
  maxOutputTokens: 1_000_000,
};

const ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
const PROJECT_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;
const TAG_PATTERN = /^[A-Za-z0-9._:/=+-]{1,64}$/;
const MODEL_PATTERN = /^[A-Za-z0-9._:/@-]{1,256}$/;
const TOOL_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const SCHEMA_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const PARTICIPANT_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const EMAIL_LIKE = /[^@\s]+@[^@\s]+\.[^@\s]+/;
const MEDIA_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);
const DETAILS = new Set(['', 'auto', 'low', 'high']);
const ROLES = new Set([common.Role.SYSTEM, common.Role.USER, common.Role.ASSISTANT, common.Role.TOOL]);
const TOOL_MODES = new Set([
  common.ToolChoiceMode.UNSPECIFIED,
  common.ToolChoiceMode.AUTO,
  common.ToolChoiceMode.NONE,
  common.ToolChoiceMode.REQUIRED,
  common.ToolChoiceMode.NAMED,
]);
const FORMATS = new Set([
  common.ResponseFormatType.UNSPECIFIED,
  common.ResponseFormatType.TEXT,
  common.ResponseFormatType.JSON_OBJECT,
  common.ResponseFormatType.JSON_SCHEMA,
]);

function validateMessage(message: common.ChatMessage, path: string, isLast: boolean): void {
  if (!ROLES.has(message.role)) throw invalidArgument(`${path}.role`, message.role === common.Role.UNSPECIFIED ? 'must be set' : `unknown role ${message.role}`);
  message.parts.forEach((part, p) => {
    const partPath = `${path}.parts[${p}]`;
    switch (part.kind.case) {
      case 'text':
        break;
      case 'image': {
        const image = part.kind.value;
        if (message.role !== common.Role.USER) throw invalidArgument(`${partPath}.image`, 'images are accepted only in user messages');
        if (image.source.case === 'url') {
          let url: URL;
          try {
            url = new URL(image.source.value);
          } catch {
            throw invalidArgument(`${partPath}.image.url`, 'must be an absolute https URL');
          }
          if (url.protocol !== 'https:') throw invalidArgument(`${partPath}.image.url`, 'must be an https URL');
          if (image.source.value.length > 8192) throw invalidArgument(`${partPath}.image.url`, 'must be at most 8192 characters');
        } else if (image.source.case === 'data') {
          if (image.source.value.length === 0) throw invalidArgument(`${partPath}.image.data`, 'must not be empty');
          if (!MEDIA_TYPES.has(image.mediaType)) throw invalidArgument(`${partPath}.image.media_type`, 'must be image/png, image/jpeg, image/gif or image/webp with inline data');
        } else {
          throw invalidArgument(`${partPath}.image`, 'must have a url or data');
        }
        if (!DETAILS.has(image.detail)) throw invalidArgument(`${partPath}.image.detail`, 'must be "auto", "low" or "high"');
        break;
      }
      default:
        throw invalidArgument(`${partPath}.kind`, 'must be text or image');
    }
  });
  if (message.toolCalls.length > 0 && message.role !== common.Role.ASSISTANT) throw invalidArgument(`${path}.tool_calls`, 'only assistant messages carry tool calls');
  message.toolCalls.forEach((call, c) => {
    if (!call.id) throw invalidArgument(`${path}.tool_calls[${c}].id`, 'must be set');
    if (!TOOL_NAME_PATTERN.test(call.name)) throw invalidArgument(`${path}.tool_calls[${c}].name`, 'must be 1-64 letters, digits, "_" or "-"');
  });
  if (message.role === common.Role.TOOL) {
    if (!message.toolCallId) throw invalidArgument(`${path}.tool_call_id`, 'must name the tool call this message answers');
  } else if (message.toolError) {
    throw invalidArgument(`${path}.tool_error`, 'is only for tool messages (it marks a failed tool call)');
  } else if (message.toolCallId) {
    throw invalidArgument(`${path}.tool_call_id`, 'is only for tool messages');
  }
  if (message.name && !PARTICIPANT_PATTERN.test(message.name)) throw invalidArgument(`${path}.name`, 'must be 1-64 letters, digits, "_" or "-"');
  if (message.parts.length === 0 && !(message.role === common.Role.ASSISTANT && message.toolCalls.length > 0)) {
    throw invalidArgument(`${path}.parts`, 'must not be empty');
  }
  if (isLast && message.role !== common.Role.USER && message.role !== common.Role.TOOL) {
    throw invalidArgument(`${path}.role`, 'the last message must be from the user or a tool');
  }
}

function validateParams(params: common.GenerationParams, limits: RequestLimits): void {
  if (params.maxOutputTokens !== undefined && (params.maxOutputTokens < 1 || params.maxOutputTokens > limits.maxOutputTokens)) {
    throw invalidArgument('params.max_output_tokens', `must be between 1 and ${limits.maxOutputTokens} when set`);
  }
  if (params.temperature !== undefined && !(params.temperature >= 0 && params.temperature <= 2)) throw invalidArgument('params.temperature', 'must be in [0, 2]');
  if (params.topP !== undefined && !(params.topP > 0 && params.topP <= 1)) throw invalidArgument('params.top_p', 'must be in (0, 1]');
  if (params.stopSequences.length > limits.maxStopSequences) throw invalidArgument('params.stop_sequences', `at most ${limits.maxStopSequences}`);
  params.stopSequences.forEach((stop, i) => {
    if (stop.length === 0 || stop.length > 256) throw invalidArgument(`params.stop_sequences[${i}]`, 'must be 1-256 characters');
  });
  const format = params.responseFormat;
  if (format) {
    if (!FORMATS.has(format.type)) throw invalidArgument('params.response_format.type', `unknown type ${format.type}`);
    if (format.type === common.ResponseFormatType.JSON_SCHEMA) {
      if (!format.jsonSchema) throw invalidArgument('params.response_format.json_schema', 'is required for JSON_SCHEMA');
      if (!SCHEMA_NAME_PATTERN.test(format.schemaName)) throw invalidArgument('params.response_format.schema_name', 'must be 1-64 letters, digits, "_" or "-"');
    } else if (format.jsonSchema || format.schemaName || format.strict) {
      throw invalidArgument('params.response_format.json_schema', 'is only for type JSON_SCHEMA');
    }
  }
  if (params.tools.length > limits.maxTools) throw invalidArgument('params.tools', `at most ${limits.maxTools}`);
  const names = new Set<string>();
  params.tools.forEach((tool, i) => {
    if (!TOOL_NAME_PATTERN.test(tool.name)) throw invalidArgument(`params.tools[${i}].name`, 'must be 1-64 letters, digits, "_" or "-"');
    if (names.has(tool.name)) throw invalidArgument(`params.tools[${i}].name`, `"${tool.name}" is declared twice`);
    names.add(tool.name);
    if (tool.description.length > 4096) throw invalidArgument(`params.tools[${i}].description`, 'at most 4096 characters');
  });
  const choice = params.toolChoice;
  if (choice) {
    if (!TOOL_MODES.has(choice.mode)) throw invalidArgument('params.tool_choice.mode', `unknown mode ${choice.mode}`);
    const needsTools = choice.mode === common.ToolChoiceMode.REQUIRED || choice.mode === common.ToolChoiceMode.NAMED;
    if (needsTools && params.tools.length === 0) throw invalidArgument('params.tool_choice.mode', 'requires params.tools');
    if (choice.mode === common.ToolChoiceMode.NAMED) {
      if (!names.has(choice.toolName)) throw invalidArgument('params.tool_choice.tool_name', `must name one of params.tools (got "${choice.toolName}")`);
    } else if (choice.toolName) {
      throw invalidArgument('params.tool_choice.tool_name', 'is only for mode NAMED');
    }
  }
}

/**
 * Checks every field of a routed request and throws INVALID_ARGUMENT naming the first bad one
 * (a BadRequest field violation with its path, e.g. `messages[2].parts[0].image.url`).
 */
export function validateRoutedRequest(request: RoutedRequest, limits: RequestLimits = DEFAULT_REQUEST_LIMITS): void {
  if (request.messages.length === 0) throw invalidArgument('messages', 'must contain at least one message');
  if (request.messages.length > limits.maxMessages) throw invalidArgument('messages', `at most ${limits.maxMessages} messages`);
  const last = request.messages.length - 1;
  request.messages.forEach((message, i) => validateMessage(message, `messages[${i}]`, i === last));
  if (request.params) validateParams(request.params, limits);
  if (request.model && !MODEL_PATTERN.test(request.model)) throw invalidArgument('model', 'must be a model id, provider/model, or an alias such as switchyard/auto');

  const context = request.context;
  if (context) {
    if (context.requestId && !ID_PATTERN.test(context.requestId)) throw invalidArgument('context.request_id', 'must be 1-128 letters, digits, ".", "_", ":" or "-" (a UUID is recommended)');
    if (context.project && !PROJECT_PATTERN.test(context.project)) throw invalidArgument('context.project', 'must be 1-128 letters, digits, ".", "_" or "-"');
    if (context.featureTags.length > limits.maxFeatureTags) throw invalidArgument('context.feature_tags', `at most ${limits.maxFeatureTags} tags`);
    context.featureTags.forEach((tag, i) => {
      if (!TAG_PATTERN.test(tag)) throw invalidArgument(`context.feature_tags[${i}]`, 'must be 1-64 characters without spaces, e.g. "feature:summaries"');
    });
    if (context.endUserId.length > 256) throw invalidArgument('context.end_user_id', 'at most 256 characters');
    if (EMAIL_LIKE.test(context.endUserId)) throw invalidArgument('context.end_user_id', 'must be an opaque id, never an email address');
  }

  const routing = request.routing;
  if (routing) {
    if (!(routing.qualityTarget >= 0 && routing.qualityTarget <= 1)) throw invalidArgument('routing.quality_target', 'must be in [0, 1] (0 means the policy target)');
    if (routing.maxCostNanosUsd < 0n) throw invalidArgument('routing.max_cost_nanos_usd', 'must not be negative (0 means no cap)');
    const objective = routing.latencyObjective;
    if (objective && (objective.seconds < 0n || objective.nanos < 0 || objective.nanos > 999_999_999 || (objective.seconds === 0n && objective.nanos === 0))) {
      throw invalidArgument('routing.latency_objective', 'must be a positive duration');
    }
  }
}
