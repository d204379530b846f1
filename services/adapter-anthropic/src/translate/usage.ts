import type { common } from '@switchyard/contracts';
import type { ProtoInit } from '@switchyard/provider-kit';

/** The usage fields Anthropic reports, on a message and (cumulatively) on `message_delta`. */
export interface AnthropicUsage {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  output_tokens_details?: { thinking_tokens?: number | null } | null;
}

/**
 * Anthropic usage in our terms. Anthropic's `input_tokens` already excludes both cache reads and
 * cache writes: reads become `cached_input_tokens` (billed at the cache-read price) and writes
 * (`cache_creation_input_tokens`) become `cache_write_input_tokens` (billed at the cache-write
 * price, 1.25× input) — never input, which would under-bill them. Thinking tokens are reasoning
 * tokens, already inside `output_tokens`.
 */
export function fromAnthropicUsage(usage: AnthropicUsage): ProtoInit<typeof common.TokenUsageSchema> {
  return {
    inputTokens: BigInt(usage.input_tokens ?? 0),
    outputTokens: BigInt(usage.output_tokens ?? 0),
    cachedInputTokens: BigInt(usage.cache_read_input_tokens ?? 0),
    reasoningTokens: BigInt(usage.output_tokens_details?.thinking_tokens ?? 0),
    cacheWriteInputTokens: BigInt(usage.cache_creation_input_tokens ?? 0),
  };
}
