/**
 * The settings of the committed model. Each was chosen on the validation split (see
 * docs/routing.md, "Choices"); `train.ts` flags override them for experiments.
 */
import { DENSE_FEATURES, type DenseFeatureName, type FeatureSpec } from '@switchyard/classifier';
import type { RoutingTarget } from './routing-target';

/** Everything that determines the trained artifact besides the data. */
export interface TrainingConfig {
  /** Artifact version, `learned-<created>.<n>`. */
  readonly version: string;
  /** Stored as the artifact's `created`; fixed (not today's date) so retraining is byte-identical. */
  readonly created: string;
  /** Seed of every random choice (the bootstrap of the stored validation metrics). */
  readonly seed: number;
  readonly target: RoutingTarget;
  readonly features: FeatureSpec;
  /** L2 strength on hashed weights. */
  readonly l2: number;
  /** L2 strength on dense weights. */
  readonly l2Dense: number;
  readonly iterations: number;
  readonly learningRate: number;
  /** Standardized dense inputs are clamped to ±this, so unusual prompts cannot dominate the score. */
  readonly denseClamp: number;
  /** Bootstrap resamples for the validation intervals. */
  readonly resamples: number;
}

/** Every dense feature the library knows. */
export const ALL_DENSE_FEATURES = Object.keys(DENSE_FEATURES) as DenseFeatureName[];

/** The committed model's configuration. */
export const DEFAULT_TRAINING_CONFIG: TrainingConfig = {
  version: 'learned-2026-11-26.1',
  created: '2026-11-26',
  seed: 20261126,
  target: 'strong-gain',
  features: {
    hashBits: 16,
    wordUnigrams: true,
    wordBigrams: true,
    charNgrams: [],
    dense: ALL_DENSE_FEATURES,
  },
  l2: 3e-2,
  l2Dense: 1e-4,
  iterations: 300,
  learningRate: 0.02,
  denseClamp: 4,
  resamples: 1000,
};
