/**
 * 32-bit hashing shared by the prompt scanner, the model features and the training tool.
 * Everything is integer arithmetic on char codes so that hashing allocates nothing and gives the
 * same buckets in training and at inference.
 *
 * Finished hashes are truncated to 30 bits: V8 keeps such values as small integers, while a
 * full 32-bit value that leaves a register (a call, a return) is boxed into a heap number — an
 * allocation per word on the hot path.
 */

/** Mask applied to every finished hash. */
export const HASH_MASK = 0x3fffffff;

/** Start value of every running hash (FNV-1a's offset basis 0x811c9dc5, truncated to 30 bits). */
export const FNV_OFFSET = 0x011c9dc5;

/** FNV-1a's prime. */
export const FNV_PRIME = 0x01000193;

/** FNV-1a (30-bit) of a lower-cased string: the scanner's word hash, computed at load time. */
export function fnvString(text: string): number {
  let hash = FNV_OFFSET;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ lowerCode(text.charCodeAt(i)), FNV_PRIME);
  return hash & HASH_MASK;
}

/** murmur3's finalizer: spreads the bits of a hash so that the low bits make a good bucket index. */
export function mixHash(hash: number): number {
  let h = hash ^ (hash >>> 16);
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) & HASH_MASK;
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
