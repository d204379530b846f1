/**
 * The learned routing model's artifact: its JSON shape, validation on load, and decoding into the
 * typed arrays the classifier reads on the hot path.
 */
import { DENSE_FEATURES, type DenseFeatureName, type FeatureSpec, MAX_CHAR_NGRAM } from './model-features';

/** Value of the artifact's `format` field. */
export const ROUTING_MODEL_FORMAT = 'switchyard.routing-model.v1';

/** One dense feature's standardization and weight. */
export interface DenseFeatureWeight {
  readonly name: DenseFeatureName;
  readonly mean: number;
  /** Standard deviation on the training rows (> 0). */
  readonly std: number;
  readonly weight: number;
}

/**
 * A logistic model: `P = sigmoid(bias + Σ_groups (Σ w[bucket]) / sqrt(group size) + Σ dense)`,
 * with dense inputs standardized and clamped to ±`denseClamp`.
 */
export interface RoutingModelWeights {
  readonly bias: number;
  /** Hashed weight = int16 value × `hashedScale`. */
  readonly hashedScale: number;
  /** `2 ** hashBits` little-endian int16 values, base64. */
  readonly hashedWeights: string;
  readonly denseClamp: number;
  readonly dense: readonly DenseFeatureWeight[];
}

/** The committed JSON file, after validation. Fields beyond these are kept but not interpreted. */
export interface RoutingModelArtifact {
  readonly format: typeof ROUTING_MODEL_FORMAT;
  /** Becomes the classifier's `version`, e.g. `learned-2026-11-26.1`. */
  readonly version: string;
  /** ISO date (YYYY-MM-DD). */
  readonly created: string;
  /** What the score predicts, in words. */
  readonly target: string;
  readonly features: FeatureSpec;
  readonly weights: RoutingModelWeights;
  /** Training provenance: data files, rows, seed, hyper-parameters. */
  readonly training: Readonly<Record<string, unknown>>;
  /** Metrics on the validation split. */
  readonly validation: Readonly<Record<string, unknown>>;
  /**
   * Model probabilities of a few prompts at training time. The classifier recomputes them on load
   * and refuses an artifact whose features no longer match the code (e.g. the cue list changed).
   */
  readonly selfCheck: readonly SelfCheckProbe[];
}

/** One self-check prompt and the probability the model gave it when trained. */
export interface SelfCheckProbe {
  readonly prompt: string;
  readonly probability: number;
}

function fail(field: string, expected: string, value: unknown): never {
  const shown = typeof value === 'string' ? JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value) : String(value);
  throw new Error(`invalid routing model: field "${field}" must be ${expected} (got ${Array.isArray(value) ? 'an array' : shown})`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function record(value: unknown, field: string): Record<string, unknown> {
  if (!isRecord(value)) fail(field, 'an object', value);
  return value;
}

function text(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) fail(field, 'a non-empty string', value);
  return value;
}

function finite(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) fail(field, 'a finite number', value);
  return value;
}

function flag(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') fail(field, 'a boolean', value);
  return value;
}

function validateFeatures(value: unknown): FeatureSpec {
  const features = record(value, 'features');
  const hashBits = features.hashBits;
  if (typeof hashBits !== 'number' || !Number.isInteger(hashBits) || hashBits < 4 || hashBits > 24) {
    fail('features.hashBits', 'an integer from 4 to 24', hashBits);
  }
  const charNgrams = features.charNgrams;
  if (!Array.isArray(charNgrams)) fail('features.charNgrams', 'an array', charNgrams);
  charNgrams.forEach((n, i) => {
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 2 || n > MAX_CHAR_NGRAM) {
      fail(`features.charNgrams[${i}]`, `an integer from 2 to ${MAX_CHAR_NGRAM}`, n);
    }
  });
  const dense = features.dense;
  if (!Array.isArray(dense)) fail('features.dense', 'an array', dense);
  dense.forEach((name, i) => {
    if (typeof name !== 'string' || !Object.hasOwn(DENSE_FEATURES, name)) {
      fail(`features.dense[${i}]`, `one of ${Object.keys(DENSE_FEATURES).join(', ')}`, name);
    }
  });
  return {
    hashBits,
    wordUnigrams: flag(features.wordUnigrams, 'features.wordUnigrams'),
    wordBigrams: flag(features.wordBigrams, 'features.wordBigrams'),
    charNgrams: charNgrams as number[],
    dense: dense as DenseFeatureName[],
  };
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function validateWeights(value: unknown, features: FeatureSpec): RoutingModelWeights {
  const weights = record(value, 'weights');
  const hashedWeights = weights.hashedWeights;
  const expectedLength = Math.ceil((2 * 2 ** features.hashBits) / 3) * 4;
  if (typeof hashedWeights !== 'string' || hashedWeights.length !== expectedLength || !BASE64.test(hashedWeights)) {
    fail('weights.hashedWeights', `base64 of 2^${features.hashBits} int16 values (${expectedLength} characters)`, hashedWeights);
  }
  const dense = weights.dense;
  if (!Array.isArray(dense) || dense.length !== features.dense.length) {
    fail('weights.dense', `an array of ${features.dense.length} entries, one per features.dense`, dense);
  }
  const denseWeights = dense.map((entry, i): DenseFeatureWeight => {
    const item = record(entry, `weights.dense[${i}]`);
    if (item.name !== features.dense[i]) fail(`weights.dense[${i}].name`, `"${features.dense[i]}"`, item.name);
    const std = finite(item.std, `weights.dense[${i}].std`);
    if (std <= 0) fail(`weights.dense[${i}].std`, 'greater than 0', std);
    return {
      name: features.dense[i],
      mean: finite(item.mean, `weights.dense[${i}].mean`),
      std,
      weight: finite(item.weight, `weights.dense[${i}].weight`),
    };
  });
  const denseClamp = finite(weights.denseClamp, 'weights.denseClamp');
  if (denseClamp <= 0) fail('weights.denseClamp', 'greater than 0', denseClamp);
  return {
    bias: finite(weights.bias, 'weights.bias'),
    hashedScale: finite(weights.hashedScale, 'weights.hashedScale'),
    hashedWeights,
    denseClamp,
    dense: denseWeights,
  };
}

function validateSelfCheck(value: unknown): SelfCheckProbe[] {
  if (!Array.isArray(value)) fail('selfCheck', 'an array', value);
  return value.map((entry, i) => {
    const probe = record(entry, `selfCheck[${i}]`);
    if (typeof probe.prompt !== 'string') fail(`selfCheck[${i}].prompt`, 'a string', probe.prompt);
    const probability = finite(probe.probability, `selfCheck[${i}].probability`);
    if (probability < 0 || probability > 1) fail(`selfCheck[${i}].probability`, 'within 0..1', probability);
    return { prompt: probe.prompt, probability };
  });
}

/**
 * Validates a parsed routing-model JSON and returns it typed. Throws an Error naming the first bad
 * field, e.g. `invalid routing model: field "features.hashBits" must be an integer from 4 to 24 (got 99)`.
 */
export function loadRoutingModel(json: unknown): RoutingModelArtifact {
  const root = record(json, '(root)');
  if (root.format !== ROUTING_MODEL_FORMAT) fail('format', `"${ROUTING_MODEL_FORMAT}"`, root.format);
  const created = text(root.created, 'created');
  if (!/^\d{4}-\d{2}-\d{2}$/.test(created)) fail('created', 'a date YYYY-MM-DD', created);
  const features = validateFeatures(root.features);
  return {
    format: ROUTING_MODEL_FORMAT,
    version: text(root.version, 'version'),
    created,
    target: text(root.target, 'target'),
    features,
    weights: validateWeights(root.weights, features),
    training: record(root.training, 'training'),
    validation: record(root.validation, 'validation'),
    selfCheck: validateSelfCheck(root.selfCheck),
  };
}

/** The artifact decoded for inference: weights as typed arrays. */
export interface DecodedRoutingModel {
  readonly features: FeatureSpec;
  readonly bias: number;
  readonly hashed: Float64Array;
  readonly denseMean: Float64Array;
  readonly denseInvStd: Float64Array;
  readonly denseWeight: Float64Array;
  readonly denseClamp: number;
}

/** Decodes the quantized weights of a validated artifact. */
export function decodeRoutingModel(artifact: RoutingModelArtifact): DecodedRoutingModel {
  const { features, weights } = artifact;
  const bytes = Buffer.from(weights.hashedWeights, 'base64');
  const size = 2 ** features.hashBits;
  const hashed = new Float64Array(size);
  for (let i = 0; i < size; i++) hashed[i] = bytes.readInt16LE(2 * i) * weights.hashedScale;
  return {
    features,
    bias: weights.bias,
    hashed,
    denseMean: Float64Array.from(weights.dense, (d) => d.mean),
    denseInvStd: Float64Array.from(weights.dense, (d) => 1 / d.std),
    denseWeight: Float64Array.from(weights.dense, (d) => d.weight),
    denseClamp: weights.denseClamp,
  };
}

/** Quantizes float weights to the artifact's int16 encoding; returns the scale and the base64 text. */
export function encodeHashedWeights(values: ArrayLike<number>): { hashedScale: number; hashedWeights: string } {
  let largest = 0;
  for (let i = 0; i < values.length; i++) largest = Math.max(largest, Math.abs(values[i]));
  const hashedScale = largest > 0 ? largest / 32767 : 1;
  const bytes = Buffer.alloc(2 * values.length);
  for (let i = 0; i < values.length; i++) bytes.writeInt16LE(Math.round(values[i] / hashedScale), 2 * i);
  return { hashedScale, hashedWeights: bytes.toString('base64') };
}
