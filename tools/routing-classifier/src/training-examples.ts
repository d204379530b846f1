/**
 * Turns prompts into the trainer's sparse matrix using the classifier library's own feature
 * extraction, so training sees exactly the features the router computes at inference.
 */
import {
  compileCueLexicon,
  createFeatureVector,
  createPromptScan,
  extractFeatures,
  type FeatureSpec,
  HASHED_GROUPS,
  scanPrompt,
} from '@switchyard/classifier';

/** Rows in compressed sparse row form plus their raw dense features. */
export interface FeatureMatrix {
  readonly rows: number;
  /** Row `r` spans `[rowStarts[r], rowStarts[r+1])` of `indices`/`values`. */
  readonly rowStarts: Int32Array;
  readonly indices: Int32Array;
  readonly values: Float64Array;
  /** `rows × denseCount`, row-major, not standardized. */
  readonly dense: Float64Array;
  readonly denseCount: number;
}

/** Extracts the features of every prompt. */
export function buildFeatureMatrix(prompts: readonly string[], spec: FeatureSpec): FeatureMatrix {
  const lexicon = compileCueLexicon();
  const scan = createPromptScan();
  const vector = createFeatureVector(spec);
  const denseCount = spec.dense.length;
  const rowStarts = new Int32Array(prompts.length + 1);
  const dense = new Float64Array(prompts.length * denseCount);
  let indices = new Int32Array(1 << 16);
  let values = new Float64Array(1 << 16);
  let nnz = 0;
  prompts.forEach((prompt, r) => {
    scanPrompt(prompt, lexicon, scan);
    extractFeatures(prompt, scan, spec, vector);
    if (nnz + vector.count > indices.length) {
      const size = Math.max(indices.length * 2, nnz + vector.count);
      const grownIndices = new Int32Array(size);
      grownIndices.set(indices);
      const grownValues = new Float64Array(size);
      grownValues.set(values);
      indices = grownIndices;
      values = grownValues;
    }
    let start = 0;
    for (let g = 0; g < HASHED_GROUPS.length; g++) {
      const end = vector.groupEnds[g];
      const value = end > start ? 1 / Math.sqrt(end - start) : 0;
      for (let k = start; k < end; k++) {
        indices[nnz] = vector.indices[k];
        values[nnz++] = value;
      }
      start = end;
    }
    rowStarts[r + 1] = nnz;
    dense.set(vector.dense, r * denseCount);
  });
  return {
    rows: prompts.length,
    rowStarts,
    indices: indices.slice(0, nnz),
    values: values.slice(0, nnz),
    dense,
    denseCount,
  };
}

