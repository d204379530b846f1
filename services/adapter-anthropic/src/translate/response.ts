import type { Message } from '@anthropic-ai/sdk/resources/messages';
import { common, type provider } from '@switchyard/contracts';
import type { ProtoInit } from '@switchyard/provider-kit';
import { anthropicFinishReason } from './finish-reason';
import { assertAnthropicMessageShape } from './reply-shape';
import { fromAnthropicUsage } from './usage';

/** A GenerateResponse ready for `create()` (the service adds `upstream_latency`). */
export type GenerateResponseInit = ProtoInit<typeof provider.GenerateResponseSchema>;

/** The parts of an Anthropic message the translator reads. */
export type AnthropicMessage = Pick<Message, 'id' | 'model' | 'stop_reason' | 'usage'> & {
  /** Which of the request's stop sequences ended the output (stop_reason `stop_sequence`). */
  stop_sequence?: string | null;
  content: ReadonlyArray<{ type: string; text?: string; id?: string; name?: string; input?: unknown }>;
};

/**
 * Translates an Anthropic message into our GenerateResponse: one text part per text block, one
 * tool call per `tool_use` block (its input object re-serialised as the arguments JSON). Thinking
 * and server-tool blocks have no place in our contract and are left out. A reply of the wrong shape
 * is an UpstreamProtocolError.
 */
export function fromAnthropicMessage(message: AnthropicMessage): GenerateResponseInit {
  assertAnthropicMessageShape(message);
  const parts: Array<{ kind: { case: 'text'; value: string } }> = [];
  const toolCalls: Array<{ id: string; name: string; argumentsJson: string }> = [];
  for (const block of message.content) {
    if (block.type === 'text' && block.text) parts.push({ kind: { case: 'text', value: block.text } });
    else if (block.type === 'tool_use') {
      toolCalls.push({ id: block.id ?? '', name: block.name ?? '', argumentsJson: JSON.stringify(block.input ?? {}) });
    }
  }
  return {
    message: { role: common.Role.ASSISTANT, parts, toolCalls },
    finishReason: anthropicFinishReason(message.stop_reason),
    providerFinishReason: message.stop_reason ?? '',
    stopSequence: message.stop_sequence ?? '',
    usage: fromAnthropicUsage(message.usage),
    responseModel: message.model ?? '',
    responseId: message.id ?? '',
  };
}
