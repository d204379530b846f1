import { getEncoding, type Tiktoken } from 'js-tiktoken';

// cl100k_base takes ~300 ms to build, so it is built once, on first use.
let encoding: Tiktoken | undefined;

function cl100k(): Tiktoken {
  encoding ??= getEncoding('cl100k_base');
  return encoding;
}

/** Number of cl100k_base tokens in `text` (GPT-4's tokenizer; a common proxy for every model). */
export function countTokens(text: string): number {
  return text.length === 0 ? 0 : cl100k().encode(text).length;
}

/** The longest prefix of `text` that fits in `maxTokens` cl100k tokens, and whether it was cut. */
export function truncateToTokens(text: string, maxTokens: number): { text: string; truncated: boolean } {
  const tokens = cl100k().encode(text);
  if (tokens.length <= maxTokens) return { text, truncated: false };
  let prefix = cl100k().decode(tokens.slice(0, Math.max(0, maxTokens)));
  // A cut inside a multi-byte character decodes to U+FFFD; drop it rather than emit a broken character.
  prefix = prefix.replace(/\uFFFD+$/u, '');
  return { text: prefix, truncated: true };
}
