import type { JsonObject } from '@bufbuild/protobuf';
import { common } from '@switchyard/contracts';
import { z } from 'zod';
import type { TranslatedGeneration } from '../api-dialect';
import { EdgeRequestError } from './edge-request-error';
import { openAIFieldPath } from './field-path';
import { imageFromUrl } from './image-source';
import { responseFormatParam, toolChoiceParam } from './openai-request';
import { callerContext, type ChatMessageInit, type GenerateInit, type RouterCaller } from './router-caller';
import { rejectUpstreamFields } from './upstream-field-guard';
import { parseBody } from './zod-issues';

// The body came from JSON.parse, so every object in it is JSON.
const jsonObject = z.record(z.string(), z.unknown()).transform((value) => value as JsonObject);
const inputText = z.object({ type: z.literal('input_text'), text: z.string() });
const outputText = z.object({ type: z.literal('output_text'), text: z.string() });
const refusal = z.object({ type: z.literal('refusal'), refusal: z.string() });
const inputImage = z.object({
  type: z.literal('input_image'),
  image_url: z.string({ error: 'Switchyard keeps no files: send the image as an https URL or a data URL in image_url.' }).min(1),
  detail: z.enum(['auto', 'low', 'high']).nullish(),
});
const contentPart = z.discriminatedUnion('type', [inputText, inputImage, outputText, refusal]);

const messageItem = z.object({
  type: z.literal('message'),
  role: z.enum(['user', 'system', 'developer', 'assistant']),
  content: z.union([z.string(), z.array(contentPart)]),
  id: z.string().nullish(),
  status: z.string().nullish(),
});
const functionCallItem = z.object({
  type: z.literal('function_call'),
  call_id: z.string().min(1),
  name: z.string().min(1),
  arguments: z.string(),
  id: z.string().nullish(),
  status: z.string().nullish(),
});
const functionCallOutputItem = z.object({
  type: z.literal('function_call_output'),
  call_id: z.string().min(1),
  output: z.union([z.string(), z.array(inputText)]),
  id: z.string().nullish(),
  status: z.string().nullish(),
});
// An item without `type` is a message (the SDK's EasyInputMessage); defaulting it lets the union key on `type`, so errors name the right field.
const inputItem = z.preprocess(
  (item) => (item !== null && typeof item === 'object' && !('type' in item) ? { ...item, type: 'message' } : item),
  z.discriminatedUnion('type', [messageItem, functionCallItem, functionCallOutputItem]),
);

const functionTool = z.object({
  type: z.literal('function'),
  name: z.string().min(1),
  description: z.string().nullish(),
  parameters: jsonObject.nullish(),
  strict: z.boolean().nullish(),
});

const textFormat = z.discriminatedUnion('type', [
  z.object({ type: z.literal('text') }),
  z.object({ type: z.literal('json_object') }),
  z.object({ type: z.literal('json_schema'), name: z.string().min(1), schema: jsonObject, description: z.string().nullish(), strict: z.boolean().nullish() }),
]);

/** The Responses request fields the edge reads; everything else is ignored (IGNORED_FIELDS) or refused (REFUSED_FIELDS). */
export const responsesBodySchema = z.object({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(inputItem).min(1)]),
  instructions: z.string().nullish(),
  max_output_tokens: z.number().int().min(1).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  tools: z.array(functionTool).nullish(),
  tool_choice: z.union([z.enum(['none', 'auto', 'required']), z.object({ type: z.literal('function'), name: z.string().min(1) })]).nullish(),
  text: z.object({ format: textFormat.nullish(), verbosity: z.string().nullish() }).nullish(),
  stream: z.boolean().nullish(),
  store: z.boolean().nullish(),
  background: z.literal(false, { error: 'Switchyard answers in the request; background responses are not supported.' }).nullish(),
  metadata: z.record(z.string(), z.string()).nullish(),
  user: z.string().nullish(),
  safety_identifier: z.string().nullish(),
});

/** A validated Responses body. */
export type ResponsesBody = z.output<typeof responsesBodySchema>;

// Real Responses parameters that only tune a provider's sampling, caching or billing tier: accepted and not forwarded.
const IGNORED_FIELDS = ['parallel_tool_calls', 'service_tier', 'prompt_cache_key', 'prompt_cache_retention', 'reasoning', 'truncation', 'top_logprobs', 'stream_options'];
// Real Responses parameters that need state or tools Switchyard does not have: refused, naming the field.
const REFUSED_FIELDS: Record<string, string> = {
  previous_response_id: 'Switchyard stores no responses, so there is no previous response to continue; send the whole conversation in input.',
  conversation: 'Switchyard stores no conversations; send the whole conversation in input.',
  prompt: 'Switchyard has no stored prompt templates; send instructions and input.',
  include: 'Switchyard returns no extra output data (include).',
  max_tool_calls: 'Switchyard runs no built-in tools, so max_tool_calls has nothing to limit.',
};
const KNOWN_FIELDS = new Set([...Object.keys(responsesBodySchema.shape), ...IGNORED_FIELDS, ...Object.keys(REFUSED_FIELDS)]);
const HOSTED_TOOL_MESSAGE = "Switchyard runs no built-in tools; only tools of type 'function' are supported.";

/**
 * Translates a `POST /v1/responses` body into a router GenerateRequest. Pure: `instructions` become
 * the first system message, `function_call` items join the assistant message before them, and
 * anything Switchyard cannot honour (stored state, built-in tools, file ids) is an EdgeRequestError
 * naming the field (`input[2].type`, `tools[0].type`).
 */
export function responsesToRouterRequest(raw: unknown, caller: RouterCaller): TranslatedGeneration {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new EdgeRequestError('The request body must be a JSON object.');
  const record = raw as Record<string, unknown>;
  rejectUpstreamFields(record, KNOWN_FIELDS, openAIFieldPath);
  refuseStatefulFields(record);
  refuseHostedTools(record);
  refuseUnknownItems(record);
  const body = parseBody(responsesBodySchema, raw, openAIFieldPath);
  const params: NonNullable<GenerateInit['params']> = {
    tools: (body.tools ?? []).map((tool) => ({ name: tool.name, description: tool.description ?? '', parametersSchema: tool.parameters ?? undefined, strict: tool.strict ?? false })),
  };
  if (body.max_output_tokens != null) params.maxOutputTokens = body.max_output_tokens;
  if (body.temperature != null) params.temperature = body.temperature;
  if (body.top_p != null) params.topP = body.top_p;
  if (body.text?.format) params.responseFormat = responseFormatParam(body.text.format);
  if (body.tool_choice) params.toolChoice = toolChoiceParam(body.tool_choice);
  const instructions: ChatMessageInit[] = body.instructions ? [{ role: common.Role.SYSTEM, parts: [textPart(body.instructions)] }] : [];
  return {
    request: {
      model: body.model,
      messages: [...instructions, ...inputMessages(body.input)],
      params,
      context: callerContext(caller, body.safety_identifier ?? body.user ?? undefined),
      routing: caller.routing,
    },
    stream: body.stream === true,
    requestedModel: body.model,
  };
}

function refuseStatefulFields(record: Record<string, unknown>): void {
  for (const [field, message] of Object.entries(REFUSED_FIELDS)) {
    const value = record[field];
    const empty = value === undefined || value === null || (Array.isArray(value) && value.length === 0);
    if (!empty) throw new EdgeRequestError(`Unsupported parameter: '${field}'. ${message}`, field);
  }
}

/** Built-in tools (web_search, file_search, …) get a message that says why, not zod's "expected 'function'". */
function refuseHostedTools(record: Record<string, unknown>): void {
  const tools: unknown[] = Array.isArray(record['tools']) ? record['tools'] : [];
  tools.forEach((tool, index) => {
    const type = (tool as { type?: unknown } | null)?.type;
    if (typeof type === 'string' && type !== 'function') throw new EdgeRequestError(`Unsupported tool type '${type}' in 'tools[${index}].type': ${HOSTED_TOOL_MESSAGE}`, `tools[${index}].type`);
  });
  const choice = (record['tool_choice'] as { type?: unknown } | null)?.type;
  if (typeof choice === 'string' && choice !== 'function') throw new EdgeRequestError(`Unsupported tool_choice type '${choice}': ${HOSTED_TOOL_MESSAGE}`, 'tool_choice.type');
}

const SUPPORTED_ITEMS = new Set(['message', 'function_call', 'function_call_output']);

/** Items that only exist with stored state or built-in tools (reasoning, item_reference, web_search_call, …). */
function refuseUnknownItems(record: Record<string, unknown>): void {
  if (!Array.isArray(record['input'])) return;
  record['input'].forEach((item: unknown, index) => {
    const type = (item as { type?: unknown } | null)?.type;
    if (typeof type === 'string' && !SUPPORTED_ITEMS.has(type)) {
      throw new EdgeRequestError(
        `Unsupported input item type '${type}' in 'input[${index}].type': Switchyard takes message, function_call and function_call_output items.`,
        `input[${index}].type`,
      );
    }
  });
}

function textPart(text: string): NonNullable<ChatMessageInit['parts']>[number] {
  return { kind: { case: 'text', value: text } };
}

const ROLES = { user: common.Role.USER, system: common.Role.SYSTEM, developer: common.Role.SYSTEM, assistant: common.Role.ASSISTANT } as const;

/** The router's messages for `input`: consecutive function calls become one assistant message's tool calls. */
function inputMessages(input: ResponsesBody['input']): ChatMessageInit[] {
  if (typeof input === 'string') return [{ role: common.Role.USER, parts: [textPart(input)] }];
  const messages: ChatMessageInit[] = [];
  input.forEach((item, index) => {
    switch (item.type) {
      case 'function_call': {
        const call = { id: item.call_id, name: item.name, argumentsJson: item.arguments };
        const last = messages[messages.length - 1];
        if (last?.role === common.Role.ASSISTANT) last.toolCalls = [...(last.toolCalls ?? []), call];
        else messages.push({ role: common.Role.ASSISTANT, parts: [], toolCalls: [call] });
        return;
      }
      case 'function_call_output': {
        const texts = typeof item.output === 'string' ? [item.output] : item.output.map((part) => part.text);
        messages.push({ role: common.Role.TOOL, toolCallId: item.call_id, parts: texts.map(textPart) });
        return;
      }
      default:
        messages.push({ role: ROLES[item.role], parts: messageParts(item.content, index) });
    }
  });
  return messages;
}

function messageParts(content: string | z.output<typeof contentPart>[], index: number): NonNullable<ChatMessageInit['parts']> {
  if (typeof content === 'string') return [textPart(content)];
  return content.map((part, partIndex) => {
    switch (part.type) {
      case 'input_image': {
        const image = imageFromUrl(part.image_url, `input[${index}].content[${partIndex}].image_url`);
        return { kind: { case: 'image' as const, value: { source: image.source, mediaType: image.mediaType, detail: part.detail ?? '' } } };
      }
      case 'refusal':
        return textPart(part.refusal);
      default:
        return textPart(part.text);
    }
  });
}

