import { compileCueLexicon } from './cue-lexicon';
import { createFeatureVector, DENSE_FEATURES, type DenseFeatureName, extractFeatures, type FeatureSpec } from './model-features';
import { createPromptScan, scanPrompt } from './prompt-scan';

const lexicon = compileCueLexicon();

function features(text: string, spec: FeatureSpec) {
  const scan = scanPrompt(text, lexicon, createPromptScan());
  const vector = extractFeatures(text, scan, spec, createFeatureVector(spec));
  return { vector, indices: Array.from(vector.indices.subarray(0, vector.count)) };
}

describe('extractFeatures', () => {
  const spec: FeatureSpec = {
    hashBits: 8,
    wordUnigrams: true,
    wordBigrams: true,
    charNgrams: [3, 5],
    dense: Object.keys(DENSE_FEATURES) as DenseFeatureName[],
  };

  it('writes unigram, bigram and character n-gram groups in order, inside the hash space', () => {
    const { vector, indices } = features('Add  two\nnumbers', spec);
    // 3 words → 3 unigrams, 2 bigrams; "add two numbers" (whitespace collapsed, leading space) has
    // 16 characters → 14 trigrams and 12 five-grams
    expect(Array.from(vector.groupEnds)).toEqual([3, 5, 5 + 14 + 12]);
    expect(indices.every((bucket) => bucket >= 0 && bucket < 256)).toBe(true);
    expect(vector.dense).toHaveLength(spec.dense.length);
  });

  it('is case-insensitive and deterministic', () => {
    expect(features('Add TWO numbers', spec).indices).toEqual(features('add two Numbers', spec).indices);
  });

  it('grows its buffer for long prompts', () => {
    const { vector } = features('word '.repeat(3000), spec);
    // a leading virtual space plus 15,000 characters (the trailing space included)
    expect(vector.count).toBe(3000 + 2999 + (15001 - 2) + (15001 - 4));
  });
});
