import type { ProtoInit } from '@switchyard/provider-kit';
import type { common } from '@switchyard/contracts';
import type { ChatUsage } from './chat-wire';

/** A TokenUsage ready for `create()`. */
export type TokenUsageInit = ProtoInit<typeof common.TokenUsageSchema>;

/**
 * The upstream's usage in our terms. OpenAI's `prompt_tokens` includes the cached ones, while our
 * `input_tokens` excludes them (they are priced apart), so cached tokens are subtracted; reasoning
 * tokens stay inside `output_tokens`, as upstream counts them. The Chat Completions wire has no
 * billed prompt-cache writes (OpenAI caches for free), so `cache_write_input_tokens` is 0.
 */
export function fromChatUsage(usage: ChatUsage): TokenUsageInit {
  const cached = usage.prompt_tokens_details?.cached_tokens ?? 0;
  return {
    inputTokens: BigInt(Math.max(0, usage.prompt_tokens - cached)),
    outputTokens: BigInt(usage.completion_tokens),
    cachedInputTokens: BigInt(cached),
    reasoningTokens: BigInt(usage.completion_tokens_details?.reasoning_tokens ?? 0),
    cacheWriteInputTokens: 0n,
  };
}
