import { getEncoding, type Tiktoken } from 'js-tiktoken';

// Building the cl100k table takes ~300 ms, so it is built on first use, once per process.
let encoding: Tiktoken | undefined;

/**
 * cl100k_base tokens in `text`: the estimate every adapter uses where an upstream reports no usage
 * (a server without `stream_options`, a stream that broke). Results are always marked estimated.
 */
export function estimateTokens(text: string): number {
  if (text.length === 0) return 0;
  encoding ??= getEncoding('cl100k_base');
  return encoding.encode(text).length;
}

/** Loads the tokenizer now, so the first estimate does not stall a live request (call at start-up). */
export function warmTokenEstimator(): void {
  estimateTokens('warm');
}
