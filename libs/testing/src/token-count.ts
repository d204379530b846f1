import { getEncoding, type Tiktoken } from 'js-tiktoken';

// cl100k_base takes ~300 ms to build, so it is built once, on first use.
let encoding: Tiktoken | undefined;

// Benchmarks send the same prompts over and over; encoding is the fake's main CPU cost (~70 µs each).
const countMemo = new Map<string, number>();
const MEMO_LIMIT = 20_000;

function cl100k(): Tiktoken {
  encoding ??= getEncoding('cl100k_base');
  return encoding;
}

/** Number of cl100k_base tokens in `text` (GPT-4's tokenizer; a common proxy for every model). */
export function countTokens(text: string): number {
  if (text.length === 0) return 0;
  const known = countMemo.get(text);
  if (known !== undefined) return known;
  const count = cl100k().encode(text).length;
  if (countMemo.size >= MEMO_LIMIT) countMemo.clear();
  countMemo.set(text, count);
  return count;
}

/** The longest prefix of `text` that fits in `maxTokens` cl100k tokens, and whether it was cut. */
export function truncateToTokens(text: string, maxTokens: number): { text: string; truncated: boolean } {
  if (countTokens(text) <= maxTokens) return { text, truncated: false };
  const tokens = cl100k().encode(text);
  let prefix = cl100k().decode(tokens.slice(0, Math.max(0, maxTokens)));
  // A cut inside a multi-byte character decodes to U+FFFD; drop it rather than emit a broken character.
  prefix = prefix.replace(/\uFFFD+$/u, '');
  return { text: prefix, truncated: true };
}
