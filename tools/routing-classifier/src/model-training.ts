/**
 * Trains the routing model on labelled rows and packs it as an artifact (weights quantized to
 * int16). Validation metrics are added by the caller, measured on the packed artifact itself.
 */
import {
  decodeRoutingModel,
  encodeHashedWeights,
  ROUTING_MODEL_FORMAT,
  type RoutingModelArtifact,
  routingModelProbabilityOf,
} from '@switchyard/classifier';
import { denseMoments, standardizeDense, trainLogistic } from './logistic-regression';
import type { RoutingDataFile, RoutingRow } from './routing-data';
import { ROUTING_TARGETS, TARGET_DESCRIPTIONS } from './routing-target';
import type { TrainingConfig } from './training-config';
import { buildFeatureMatrix } from './training-examples';

/** Where the training rows came from, for the artifact's metadata. */
export interface TrainingProvenance {
  readonly files: readonly RoutingDataFile[];
  readonly validationRows: number;
  readonly contaminatedRows: number;
  readonly split: string;
}

/** Prompts whose probabilities are stored in the artifact's `selfCheck` (one of each kind). */
export const SELF_CHECK_PROMPTS: readonly string[] = [
  'Which planet is closest to the sun?\nA. Venus\nB. Mercury\nC. Mars\nD. Earth\nAnswer:',
  'Tom has 3 boxes with 12 pencils each. He gives away 7 pencils. How many pencils does he have left?',
  'Write a Python function that reverses a linked list.',
  'hi',
  '',
];

/** Fits the model on `train` and returns the artifact (with an empty `validation`). */
export function trainRoutingModel(
  train: readonly RoutingRow[],
  config: TrainingConfig,
  provenance: TrainingProvenance,
  log: (line: string) => void = () => undefined,
): RoutingModelArtifact {
  const matrix = buildFeatureMatrix(
    train.map((row) => row.prompt),
    config.features,
  );
  const label = ROUTING_TARGETS[config.target];
  const labels = Float64Array.from(train, (row) => label(row));
  const { mean, std } = denseMoments(matrix);
  const standardized = standardizeDense(matrix, mean, std, config.denseClamp);
  log(`features: ${matrix.indices.length} hashed non-zeros over ${train.length} rows, ${matrix.denseCount} dense`);
  const weights = trainLogistic(matrix, standardized, labels, {
    hashSize: 2 ** config.features.hashBits,
    l2: config.l2,
    l2Dense: config.l2Dense,
    iterations: config.iterations,
    learningRate: config.learningRate,
    onProgress: (iteration, loss) => log(`iteration ${iteration}: loss ${loss.toFixed(5)}`),
  });
  const packed: RoutingModelArtifact = {
    format: ROUTING_MODEL_FORMAT,
    version: config.version,
    created: config.created,
    target: TARGET_DESCRIPTIONS[config.target],
    features: config.features,
    weights: {
      bias: weights.bias,
      ...encodeHashedWeights(weights.hashed),
      denseClamp: config.denseClamp,
      dense: config.features.dense.map((name, d) => ({ name, mean: mean[d], std: std[d], weight: weights.dense[d] })),
    },
    training: {
      rows: train.length,
      rowsByBenchmark: countBy(train, (row) => row.benchmark),
      validationRows: provenance.validationRows,
      contaminatedRowsSkipped: provenance.contaminatedRows,
      split: provenance.split,
      seed: config.seed,
      target: config.target,
      optimizer: `full-batch Adam, ${config.iterations} iterations, learning rate ${config.learningRate}`,
      l2: config.l2,
      l2Dense: config.l2Dense,
      positiveShare: labels.reduce((sum, y) => sum + y, 0) / labels.length,
      dataFiles: provenance.files,
    },
    validation: {},
    selfCheck: [],
  };
  const decoded = decodeRoutingModel(packed);
  return {
    ...packed,
    selfCheck: SELF_CHECK_PROMPTS.map((prompt) => ({ prompt, probability: routingModelProbabilityOf(decoded, prompt) })),
  };
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}
