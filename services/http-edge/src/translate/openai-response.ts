import { common, type router } from '@switchyard/contracts';
import { messageText } from '@switchyard/sdk';
import { switchyardExtension } from './route-summary';

/** Identity of one completion: the id and creation time the edge assigns, and the model asked for. */
export interface CompletionIdentity {
  /** `chatcmpl-…`. */
  readonly id: string;
  /** Unix seconds. */
  readonly created: number;
  /** The model the caller named (used when the router does not report one). */
  readonly requestedModel: string;
}

/** An OpenAI `finish_reason` for ours. */
export function openAIFinishReason(reason: common.FinishReason): 'stop' | 'length' | 'tool_calls' | 'content_filter' {
  switch (reason) {
    case common.FinishReason.LENGTH:
      return 'length';
    case common.FinishReason.TOOL_CALLS:
      return 'tool_calls';
    case common.FinishReason.CONTENT_FILTER:
      return 'content_filter';
    default:
      return 'stop';
  }
}

/**
 * The OpenAI `usage` object. OpenAI's `prompt_tokens` counts the whole prompt, cached tokens
 * included, while our input_tokens excludes cache reads and cache writes (they are priced apart),
 * so both are added back here; the wire has no field for cache writes.
 */
export function openAIUsage(usage: common.TokenUsage | undefined): Record<string, unknown> {
  const input = Number(usage?.inputTokens ?? 0n) + Number(usage?.cacheWriteInputTokens ?? 0n);
  const cached = Number(usage?.cachedInputTokens ?? 0n);
  const output = Number(usage?.outputTokens ?? 0n);
  return {
    prompt_tokens: input + cached,
    completion_tokens: output,
    total_tokens: input + cached + output,
    prompt_tokens_details: { cached_tokens: cached },
    completion_tokens_details: { reasoning_tokens: Number(usage?.reasoningTokens ?? 0n) },
  };
}

/** The model name to report: the upstream's, else the chosen route's, else the one asked for. */
export function reportedModel(responseModel: string, route: common.RouteDecision | undefined, requestedModel: string): string {
  return responseModel || route?.chosen?.model || requestedModel;
}

/** Translates a router GenerateResponse into a `chat.completion` body. Pure. */
export function routerResponseToChatCompletion(response: router.GenerateResponse, identity: CompletionIdentity): Record<string, unknown> {
  const text = messageText(response.message);
  const toolCalls = response.message?.toolCalls ?? [];
  const refused = response.finishReason === common.FinishReason.REFUSAL;
  const message: Record<string, unknown> = {
    role: 'assistant',
    content: refused || (text === '' && toolCalls.length > 0) ? null : text,
    refusal: refused ? text : null,
    annotations: [],
  };
  if (toolCalls.length > 0) {
    message['tool_calls'] = toolCalls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.argumentsJson || '{}' } }));
  }
  return {
    id: identity.id,
    object: 'chat.completion',
    created: identity.created,
    model: reportedModel(response.responseModel, response.route, identity.requestedModel),
    choices: [{ index: 0, message, logprobs: null, finish_reason: openAIFinishReason(response.finishReason) }],
    usage: openAIUsage(response.usage),
    switchyard: switchyardExtension(response),
  };
}
