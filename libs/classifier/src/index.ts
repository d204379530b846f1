/**
 * @switchyard/classifier — the router's prompt classifier: task class, difficulty
 * (P(strong model needed)), safety and expected output length, from rules or a trained model.
 */
export type { PromptClassification, PromptClassifier, PromptFeatures, TaskClass } from './prompt-classification';
export { TASK_CLASSES } from './prompt-classification';
export { createHeuristicClassifier, HEURISTIC_VERSION } from './heuristic-classifier';
export {
  committedRoutingModel,
  createLearnedClassifier,
  routingModelProbability,
  routingModelProbabilityOf,
  SELF_CHECK_TOLERANCE,
} from './learned-classifier';
export {
  decodeRoutingModel,
  encodeHashedWeights,
  loadRoutingModel,
  ROUTING_MODEL_FORMAT,
  type DecodedRoutingModel,
  type DenseFeatureWeight,
  type RoutingModelArtifact,
  type RoutingModelWeights,
  type SelfCheckProbe,
} from './routing-model';
export {
  createFeatureVector,
  DENSE_FEATURES,
  extractFeatures,
  HASHED_GROUPS,
  type DenseFeatureName,
  type FeatureSpec,
  type FeatureVector,
} from './model-features';
export { compileCueLexicon, CUE, CUE_WORDS, type CueLexicon, type CueName } from './cue-lexicon';
export { createPromptScan, scanPrompt, type PromptScan } from './prompt-scan';
