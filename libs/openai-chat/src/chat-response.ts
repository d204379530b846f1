import type { ProtoInit } from '@switchyard/provider-kit';
import { common, type provider } from '@switchyard/contracts';
import { fromChatUsage } from './chat-usage';
import type { ChatCompletion } from './chat-wire';
import { assertChatCompletionShape } from './chat-reply-shape';
import { chatFinishReason } from './finish-reason';
import { UpstreamProtocolError } from '@switchyard/provider-kit';

/** A GenerateResponse ready for `create()` (the service adds `upstream_latency`). */
export type GenerateResponseInit = ProtoInit<typeof provider.GenerateResponseSchema>;

/**
 * Translates a `chat.completion` into our GenerateResponse (an UpstreamProtocolError when the reply
 * does not have the Chat Completions shape): the first choice's text (or refusal)
 * and function tool calls, the mapped finish reason, usage and the model the upstream says answered.
 */
export function fromChatCompletion(completion: ChatCompletion): GenerateResponseInit {
  assertChatCompletionShape(completion);
  const choice = completion.choices?.find((candidate) => candidate.index === 0) ?? completion.choices?.[0];
  if (!choice) throw new UpstreamProtocolError('the upstream completion has no choices');
  const message = choice.message;
  const refusal = message.refusal ?? undefined;
  const text = message.content ?? refusal ?? '';
  const toolCalls = (message.tool_calls ?? [])
    .filter((call) => call.type === 'function' && call.function)
    .map((call) => ({ id: call.id, name: call.function?.name ?? '', argumentsJson: call.function?.arguments ?? '' }));
  return {
    message: {
      role: common.Role.ASSISTANT,
      parts: text === '' ? [] : [{ kind: { case: 'text', value: text } }],
      toolCalls,
    },
    finishReason: chatFinishReason(choice.finish_reason, refusal !== undefined && message.content == null),
    providerFinishReason: choice.finish_reason ?? '',
    ...(completion.usage ? { usage: fromChatUsage(completion.usage) } : {}),
    responseModel: completion.model ?? '',
    responseId: completion.id ?? '',
  };
}
