/**
 * The learned classifier: `difficulty` from the trained routing model, everything else from the
 * heuristic rules. All weights are decoded at creation; `classify` does one scan of the prompt, a
 * feature pass into a reused buffer and a dot product.
 */
import committedModel from './model/routing-model.json';
import { compileCueLexicon } from './cue-lexicon';
import { classifyScannedPrompt, promptText } from './heuristic-classifier';
import { createFeatureVector, extractFeatures, type FeatureVector } from './model-features';
import type { PromptClassification, PromptClassifier, PromptFeatures } from './prompt-classification';
import { createPromptScan, scanPrompt } from './prompt-scan';
import { type DecodedRoutingModel, decodeRoutingModel, loadRoutingModel, type RoutingModelArtifact } from './routing-model';

let committedArtifact: RoutingModelArtifact | undefined;

/** The artifact committed at `src/model/routing-model.json`, validated once. */
export function committedRoutingModel(): RoutingModelArtifact {
  committedArtifact ??= loadRoutingModel(committedModel);
  return committedArtifact;
}

/** The model's probability for a prompt whose features are in `vector`. */
export function routingModelProbability(model: DecodedRoutingModel, vector: FeatureVector): number {
  const { hashed, denseMean, denseInvStd, denseWeight, denseClamp } = model;
  const indices = vector.indices;
  let z = model.bias;
  let start = 0;
  for (let g = 0; g < vector.groupEnds.length; g++) {
    const end = vector.groupEnds[g];
    if (end > start) {
      let sum = 0;
      for (let k = start; k < end; k++) sum += hashed[indices[k]];
      z += sum / Math.sqrt(end - start);
    }
    start = end;
  }
  const dense = vector.dense;
  for (let d = 0; d < dense.length; d++) {
    let standardized = (dense[d] - denseMean[d]) * denseInvStd[d];
    if (standardized > denseClamp) standardized = denseClamp;
    else if (standardized < -denseClamp) standardized = -denseClamp;
    z += standardized * denseWeight[d];
  }
  return 1 / (1 + Math.exp(-z));
}

/**
 * Creates the learned classifier from a routing-model artifact (default: the committed one).
 * Its version is the artifact's, e.g. `learned-2026-11-26.1`.
 */
export function createLearnedClassifier(artifact: RoutingModelArtifact = committedRoutingModel()): PromptClassifier {
  const model = decodeRoutingModel(artifact);
  const lexicon = compileCueLexicon();
  const scan = createPromptScan();
  const vector = createFeatureVector(model.features);
  const version = artifact.version;
  return {
    version,
    classify(input: PromptFeatures): PromptClassification {
      const text = promptText(input);
      scanPrompt(text, lexicon, scan);
      extractFeatures(text, scan, model.features, vector);
      return classifyScannedPrompt(scan, input, routingModelProbability(model, vector), version);
    },
  };
}
