import { estimateTokens } from '@switchyard/provider-kit';
import type { TokenUsageInit } from './chat-usage';
import type { ChatCompletionRequest, ChatMessageParam } from './chat-wire';

/**
 * Estimated usage of a Chat Completions exchange, counted the way OpenAI's cookbook counts a prompt
 * (3 tokens per message plus role and content, 3 to prime the reply, tool definitions as JSON).
 * Used only when the upstream did not report usage; the result says so (`estimated: true`), and the
 * flag travels with the counts to the caller and the billing ledger.
 */
export function estimateChatUsage(request: ChatCompletionRequest, outputText: string): TokenUsageInit {
  let prompt = 3;
  for (const message of request.messages) prompt += 3 + estimateTokens(message.role) + estimateTokens(messageText(message));
  if (request.tools && request.tools.length > 0) {
    prompt += estimateTokens(JSON.stringify(request.tools.map((tool) => tool.function))) + 8;
  }
  return { inputTokens: BigInt(prompt), outputTokens: BigInt(estimateTokens(outputText)), cachedInputTokens: 0n, reasoningTokens: 0n, cacheWriteInputTokens: 0n, estimated: true };
}

function messageText(message: ChatMessageParam): string {
  const parts: string[] = [];
  const content = message.content;
  if (typeof content === 'string') parts.push(content);
  else if (Array.isArray(content)) for (const part of content) if (part.type === 'text') parts.push(part.text);
  if (message.role === 'assistant') {
    for (const call of message.tool_calls ?? []) parts.push(`${call.function.name}(${call.function.arguments})`);
  }
  return parts.join('\n');
}
