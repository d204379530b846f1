/**
 * 32-bit hashing shared by the prompt scanner, the model features and the training tool.
 * Everything is integer arithmetic on char codes so that hashing allocates nothing and gives the
 * same buckets in training and at inference.
 */

/** FNV-1a offset basis: the hash of the empty string. */
export const FNV_OFFSET = 0x811c9dc5 | 0;

const FNV_PRIME = 0x01000193;

/** Folds one UTF-16 code unit into a running FNV-1a hash. */
export function fnvStep(hash: number, code: number): number {
  return Math.imul(hash ^ code, FNV_PRIME);
}

/** FNV-1a of a whole string (used at load time and in tests; the hot path folds char by char). */
export function fnvString(text: string): number {
  let hash = FNV_OFFSET;
  for (let i = 0; i < text.length; i++) hash = fnvStep(hash, lowerCode(text.charCodeAt(i)));
  return hash;
}

/** murmur3's finalizer: spreads the bits of a hash so that the low bits make a good bucket index. */
export function mixHash(hash: number): number {
  let h = hash ^ (hash >>> 16);
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** Hash of an ordered pair of word hashes (a word bigram). */
export function pairHash(first: number, second: number): number {
  return mixHash(Math.imul(first, 0x9e3779b1) ^ second);
}

/**
 * Lower-cases one code unit without allocating: ASCII A–Z and Latin-1 À–Þ (except ×).
 * Other scripts are left as they are; the hash only needs to be consistent.
 */
export function lowerCode(code: number): number {
  if (code >= 65 && code <= 90) return code + 32;
  if (code >= 0xc0 && code <= 0xde && code !== 0xd7) return code + 32;
  return code;
}
