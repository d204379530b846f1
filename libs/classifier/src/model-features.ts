/**
 * The learned model's input: hashed word uni/bi-grams and character n-grams of the prompt, plus a
 * few dense structural features. The training tool and the classifier both call `extractFeatures`,
 * so training and serving cannot drift apart; which features are used is the artifact's
 * `features` spec.
 */
import { CUE } from './cue-lexicon';
import { mixHash, lowerCode, pairHash } from './feature-hash';
import type { PromptScan } from './prompt-scan';

/** Structural features computed from a scan; the artifact lists the subset it uses, in order. */
export const DENSE_FEATURES = {
  logChars: (s: PromptScan) => Math.log1p(s.chars),
  logWords: (s: PromptScan) => Math.log1p(s.words),
  logNumbers: (s: PromptScan) => Math.log1p(s.numbers),
  logSentences: (s: PromptScan) => Math.log1p(s.sentenceEnds),
  logNewlines: (s: PromptScan) => Math.log1p(s.newlines),
  digitShare: (s: PromptScan) => s.digits / Math.max(1, s.chars),
  upperShare: (s: PromptScan) => s.upper / Math.max(1, s.letters),
  nonAsciiShare: (s: PromptScan) => s.nonAscii / Math.max(1, s.chars),
  mathOperatorShare: (s: PromptScan) => s.mathOperators / Math.max(1, s.chars),
  codePunctuationShare: (s: PromptScan) => s.codePunctuation / Math.max(1, s.chars),
  optionLines: (s: PromptScan) => Math.min(s.optionLines, 10),
  answerCue: (s: PromptScan) => (s.endsWithAnswerCue ? 1 : 0),
  questionMarks: (s: PromptScan) => Math.min(s.questionMarks, 5),
  meanWordLength: (s: PromptScan) => s.wordChars / Math.max(1, s.words),
  longWordShare: (s: PromptScan) => s.longWords / Math.max(1, s.words),
  multiStepCues: (s: PromptScan) => Math.log1p(s.cueCounts[CUE.multiStep]),
  mathCues: (s: PromptScan) => Math.log1p(s.cueCounts[CUE.math]),
  reasoningCues: (s: PromptScan) => Math.log1p(s.cueCounts[CUE.reasoning]),
  codeCues: (s: PromptScan) => Math.log1p(s.cueCounts[CUE.code]),
} as const;

/** Name of a dense structural feature. */
export type DenseFeatureName = keyof typeof DENSE_FEATURES;

/** Which features the model uses. Stored in the artifact. */
export interface FeatureSpec {
  /** Hashed features go into `2 ** hashBits` buckets. */
  readonly hashBits: number;
  readonly wordUnigrams: boolean;
  readonly wordBigrams: boolean;
  /** Character n-gram lengths (each 2..5) over the lower-cased text, whitespace collapsed. */
  readonly charNgrams: readonly number[];
  readonly dense: readonly DenseFeatureName[];
}

/** Hashed feature groups, in the order their buckets are written. */
export const HASHED_GROUPS = ['wordUnigrams', 'wordBigrams', 'charNgrams'] as const;

/**
 * A prompt's features. Hashed features are bucket indices (repeats allowed); each group `g` spans
 * `indices[groupEnds[g-1] .. groupEnds[g])` and its features have value `1/sqrt(group size)`.
 */
export interface FeatureVector {
  indices: Int32Array;
  count: number;
  readonly groupEnds: Int32Array;
  readonly dense: Float64Array;
}

/** Longest character n-gram supported. */
export const MAX_CHAR_NGRAM = 5;

// seeds below 2^30 keep every intermediate a small integer (see feature-hash.ts)
const UNIGRAM_SEED = 0x3c6ef372;
const BIGRAM_SEED = 0x1be0cd19;
const CHAR_NGRAM_SEED = 0x1f83d9ab;
// CommonJS imports compile to property reads on the module object; bind the hot helpers once.
const mix = mixHash;
const pair = pairHash;
const lower = lowerCode;

/** Makes a reusable feature vector for `spec`. */
export function createFeatureVector(spec: FeatureSpec): FeatureVector {
  return {
    indices: new Int32Array(1024),
    count: 0,
    groupEnds: new Int32Array(HASHED_GROUPS.length),
    dense: new Float64Array(spec.dense.length),
  };
}

function ensureCapacity(vector: FeatureVector, needed: number): void {
  if (needed <= vector.indices.length) return;
  let size = vector.indices.length * 2;
  while (size < needed) size *= 2;
  const grown = new Int32Array(size);
  grown.set(vector.indices.subarray(0, vector.count));
  vector.indices = grown;
}

function isCollapsibleSpace(code: number): boolean {
  return code === 32 || code === 9 || code === 10 || code === 13 || code === 0xa0;
}

/** Appends the character n-gram buckets of `text`. */
function addCharNgrams(text: string, lengths: readonly number[], mask: number, vector: FeatureVector): void {
  ensureCapacity(vector, vector.count + (text.length + 1) * lengths.length);
  const indices = vector.indices;
  let count = vector.count;
  // the last five normalized codes (r0 newest); a virtual leading space marks the start of the text
  let r0 = 32, r1 = 0, r2 = 0, r3 = 0, r4 = 0;
  let seen = 1;
  let previousSpace = true;
  for (let i = 0; i < text.length; i++) {
    let code = text.charCodeAt(i);
    if (isCollapsibleSpace(code)) {
      if (previousSpace) continue;
      previousSpace = true;
      code = 32;
    } else {
      previousSpace = false;
      code = lower(code);
    }
    r4 = r3; r3 = r2; r2 = r1; r1 = r0; r0 = code;
    seen++;
    for (let g = 0; g < lengths.length; g++) {
      const n = lengths[g];
      if (seen < n) continue;
      let h = Math.imul(CHAR_NGRAM_SEED ^ n, 0x01000193);
      if (n >= 5) h = Math.imul(h ^ r4, 0x01000193);
      if (n >= 4) h = Math.imul(h ^ r3, 0x01000193);
      if (n >= 3) h = Math.imul(h ^ r2, 0x01000193);
      h = Math.imul(h ^ r1, 0x01000193);
      h = Math.imul(h ^ r0, 0x01000193);
      indices[count++] = mix(h) & mask;
    }
  }
  vector.count = count;
}

/**
 * Fills `vector` with the features of a prompt. `scan` must be the scan of the same `text`.
 * Returns `vector`.
 */
export function extractFeatures(text: string, scan: PromptScan, spec: FeatureSpec, vector: FeatureVector): FeatureVector {
  const mask = (1 << spec.hashBits) - 1;
  const words = scan.words;
  const hashes = scan.wordHashes;
  vector.count = 0;
  ensureCapacity(vector, words * 2 + 1);
  let count = 0;
  const indices = vector.indices;
  if (spec.wordUnigrams) {
    for (let w = 0; w < words; w++) indices[count++] = mix(hashes[w] ^ UNIGRAM_SEED) & mask;
  }
  vector.groupEnds[0] = count;
  if (spec.wordBigrams) {
    for (let w = 1; w < words; w++) indices[count++] = mix(pair(hashes[w - 1], hashes[w]) ^ BIGRAM_SEED) & mask;
  }
  vector.groupEnds[1] = count;
  vector.count = count;
  if (spec.charNgrams.length > 0) addCharNgrams(text, spec.charNgrams, mask, vector);
  vector.groupEnds[2] = vector.count;
  for (let d = 0; d < spec.dense.length; d++) vector.dense[d] = DENSE_FEATURES[spec.dense[d]](scan);
  return vector;
}
