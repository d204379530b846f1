import { common, type router } from '@switchyard/contracts';
import { messageText } from '@switchyard/sdk';
import { reportedModel } from './openai-response';
import { switchyardExtension } from './route-summary';

/** Identity of one message: the id the edge assigns and the model asked for. */
export interface MessageIdentity {
  /** `msg_…`. */
  readonly id: string;
  /** The model the caller named (used when the router does not report one). */
  readonly requestedModel: string;
}

/** An Anthropic `stop_reason` for our finish reason (and the stop sequence that ended the output, if the provider named one). */
export function anthropicStopReason(reason: common.FinishReason, stopSequence = ''): 'end_turn' | 'stop_sequence' | 'max_tokens' | 'tool_use' | 'refusal' {
  switch (reason) {
    case common.FinishReason.STOP:
      return stopSequence ? 'stop_sequence' : 'end_turn';
    case common.FinishReason.LENGTH:
      return 'max_tokens';
    case common.FinishReason.TOOL_CALLS:
      return 'tool_use';
    case common.FinishReason.CONTENT_FILTER:
    case common.FinishReason.REFUSAL:
      return 'refusal';
    default:
      return 'end_turn';
  }
}

/** The Anthropic `usage` object; both count cache reads and cache writes apart from input, as we do. */
export function anthropicUsage(usage: common.TokenUsage | undefined): Record<string, number> {
  return {
    input_tokens: Number(usage?.inputTokens ?? 0n),
    output_tokens: Number(usage?.outputTokens ?? 0n),
    cache_read_input_tokens: Number(usage?.cachedInputTokens ?? 0n),
    cache_creation_input_tokens: Number(usage?.cacheWriteInputTokens ?? 0n),
  };
}

/** A tool call's arguments as the object Anthropic's `input` must be ({} when the model's JSON is not an object). */
export function toolInput(argumentsJson: string): Record<string, unknown> {
  try {
    const value = JSON.parse(argumentsJson === '' ? '{}' : argumentsJson) as unknown;
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Translates a router GenerateResponse into an Anthropic `message` body. Pure. */
export function routerResponseToAnthropicMessage(response: router.GenerateResponse, identity: MessageIdentity): Record<string, unknown> {
  const text = messageText(response.message);
  const toolCalls = response.message?.toolCalls ?? [];
  const content: Record<string, unknown>[] = [];
  if (text !== '' || toolCalls.length === 0) content.push({ type: 'text', text });
  for (const call of toolCalls) content.push({ type: 'tool_use', id: call.id, name: call.name, input: toolInput(call.argumentsJson) });
  return {
    id: identity.id,
    type: 'message',
    role: 'assistant',
    model: reportedModel(response.responseModel, response.route, identity.requestedModel),
    content,
    stop_reason: anthropicStopReason(response.finishReason, response.stopSequence),
    stop_sequence: response.stopSequence || null,
    usage: anthropicUsage(response.usage),
    switchyard: switchyardExtension(response),
  };
}
