/**
 * L2-regularized logistic regression on the sparse feature matrix, trained full-batch with Adam.
 * Full-batch and zero-initialized, the fit is deterministic (no shuffling) and, the loss being
 * convex, lands near the one regularized optimum whatever the seed.
 *
 * Objective: mean over rows of cross-entropy(sigmoid(z), y) + (l2 / 2)·‖hashed‖² + (l2Dense / 2)·‖dense‖²,
 * labels y in [0, 1] (soft labels allowed), bias not regularized.
 */
import type { FeatureMatrix } from './training-examples';

/** Trainer settings. */
export interface LogisticOptions {
  readonly hashSize: number;
  /** L2 strength on hashed weights. */
  readonly l2: number;
  /** L2 strength on dense weights (few, standardized, so usually lighter). */
  readonly l2Dense: number;
  readonly iterations: number;
  readonly learningRate: number;
  /** Called every 50 iterations with the regularized loss. */
  readonly onProgress?: (iteration: number, loss: number) => void;
}

/** Fitted weights; dense weights apply to standardized inputs. */
export interface LogisticWeights {
  bias: number;
  readonly hashed: Float64Array;
  readonly dense: Float64Array;
}

const BETA1 = 0.9;
const BETA2 = 0.999;
const ADAM_EPSILON = 1e-8;

/** Standardized dense inputs: `(x − mean) / std`, clamped to ±`clamp`. */
export function standardizeDense(
  matrix: FeatureMatrix,
  mean: Float64Array,
  std: Float64Array,
  clamp: number,
): Float64Array {
  const out = new Float64Array(matrix.dense.length);
  for (let r = 0; r < matrix.rows; r++) {
    for (let d = 0; d < matrix.denseCount; d++) {
      const value = (matrix.dense[r * matrix.denseCount + d] - mean[d]) / std[d];
      out[r * matrix.denseCount + d] = Math.max(-clamp, Math.min(clamp, value));
    }
  }
  return out;
}

/** Mean and standard deviation (floored at 1e-6) of each dense feature. */
export function denseMoments(matrix: FeatureMatrix): { mean: Float64Array; std: Float64Array } {
  const { rows, denseCount, dense } = matrix;
  const mean = new Float64Array(denseCount);
  const std = new Float64Array(denseCount);
  for (let r = 0; r < rows; r++) for (let d = 0; d < denseCount; d++) mean[d] += dense[r * denseCount + d] / rows;
  for (let r = 0; r < rows; r++) {
    for (let d = 0; d < denseCount; d++) std[d] += (dense[r * denseCount + d] - mean[d]) ** 2 / rows;
  }
  for (let d = 0; d < denseCount; d++) std[d] = Math.max(1e-6, Math.sqrt(std[d]));
  return { mean, std };
}

function adamStep(
  params: Float64Array,
  grads: Float64Array,
  m: Float64Array,
  v: Float64Array,
  rate: number,
): void {
  for (let i = 0; i < params.length; i++) {
    const g = grads[i];
    m[i] = BETA1 * m[i] + (1 - BETA1) * g;
    v[i] = BETA2 * v[i] + (1 - BETA2) * g * g;
    params[i] -= (rate * m[i]) / (Math.sqrt(v[i]) + ADAM_EPSILON);
  }
}

/** Fits the model to `labels` given the matrix and its standardized dense inputs. */
export function trainLogistic(
  matrix: FeatureMatrix,
  standardized: Float64Array,
  labels: Float64Array,
  options: LogisticOptions,
): LogisticWeights {
  const { rows, rowStarts, indices, values, denseCount } = matrix;
  const { hashSize, l2, l2Dense, iterations, learningRate } = options;
  const params = new Float64Array(1 + denseCount + hashSize); // [bias, dense…, hashed…]
  const grads = new Float64Array(params.length);
  const m = new Float64Array(params.length);
  const v = new Float64Array(params.length);
  const hashedOffset = 1 + denseCount;

  for (let iteration = 1; iteration <= iterations; iteration++) {
    grads.fill(0);
    let loss = 0;
    for (let r = 0; r < rows; r++) {
      let z = params[0];
      for (let d = 0; d < denseCount; d++) z += params[1 + d] * standardized[r * denseCount + d];
      for (let k = rowStarts[r]; k < rowStarts[r + 1]; k++) z += params[hashedOffset + indices[k]] * values[k];
      const p = 1 / (1 + Math.exp(-z));
      const y = labels[r];
      loss += Math.max(0, z) - z * y + Math.log1p(Math.exp(-Math.abs(z)));
      const error = (p - y) / rows;
      grads[0] += error;
      for (let d = 0; d < denseCount; d++) grads[1 + d] += error * standardized[r * denseCount + d];
      for (let k = rowStarts[r]; k < rowStarts[r + 1]; k++) grads[hashedOffset + indices[k]] += error * values[k];
    }
    let penalty = 0;
    for (let i = 1; i < params.length; i++) {
      const strength = i < hashedOffset ? l2Dense : l2;
      grads[i] += strength * params[i];
      penalty += (strength / 2) * params[i] * params[i];
    }
    const correction = Math.sqrt(1 - BETA2 ** iteration) / (1 - BETA1 ** iteration);
    adamStep(params, grads, m, v, learningRate * correction);
    if (options.onProgress && (iteration % 50 === 0 || iteration === iterations)) {
      options.onProgress(iteration, loss / rows + penalty);
    }
  }
  return {
    bias: params[0],
    dense: params.slice(1, hashedOffset),
    hashed: params.slice(hashedOffset),
  };
}
