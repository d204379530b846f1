/**
 * The learned classifier: `difficulty` from the trained routing model (blended with a task-class
 * prior outside its training domain, see `training-domain.ts`), everything else from the heuristic
 * rules. All weights are decoded at creation; `classify` does one scan of the prompt, a
 * feature pass into a reused buffer and a dot product.
 */
import committedModel from './model/routing-model.json';
import { compileCueLexicon } from './cue-lexicon';
import { classifyScannedPrompt, promptText } from './heuristic-classifier';
import { createFeatureVector, extractFeatures, type FeatureVector } from './model-features';
import type { PromptClassification, PromptClassifier, PromptFeatures, TaskClass } from './prompt-classification';
import { createPromptScan, type PromptScan, scanPrompt } from './prompt-scan';
import { type DecodedRoutingModel, decodeRoutingModel, loadRoutingModel, type RoutingModelArtifact } from './routing-model';
import { domainAdjustedScore } from './training-domain';

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

/** The model's probability for one prompt (allocates; for training tools and load-time checks). */
export function routingModelProbabilityOf(model: DecodedRoutingModel, text: string): number {
  const scan = scanPrompt(text, compileCueLexicon(), createPromptScan());
  return routingModelProbability(model, extractFeatures(text, scan, model.features, createFeatureVector(model.features)));
}

/** Largest accepted difference between a self-check probability and its recomputation. */
export const SELF_CHECK_TOLERANCE = 1e-9;

function verifySelfCheck(model: DecodedRoutingModel, artifact: RoutingModelArtifact): void {
  for (const probe of artifact.selfCheck) {
    const probability = routingModelProbabilityOf(model, probe.prompt);
    if (!(Math.abs(probability - probe.probability) <= SELF_CHECK_TOLERANCE)) {
      throw new Error(
        `routing model ${artifact.version} does not match this classifier's feature code: ` +
          `self-check prompt ${JSON.stringify(probe.prompt.slice(0, 40))} scores ${probability}, ` +
          `${probe.probability} when trained — retrain (tools/routing-classifier/src/train.ts)`,
      );
    }
  }
}

/**
 * Creates the learned classifier from a routing-model artifact (default: the committed one).
 * Its version is the artifact's, e.g. `learned-2026-11-26.1`. Throws when the artifact's
 * self-check probes no longer score as they did at training (features and artifact out of step).
 */
export function createLearnedClassifier(artifact: RoutingModelArtifact = committedRoutingModel()): PromptClassifier {
  const model = decodeRoutingModel(artifact);
  verifySelfCheck(model, artifact);
  const lexicon = compileCueLexicon();
  const scan = createPromptScan();
  const vector = createFeatureVector(model.features);
  const version = artifact.version;
  // created once: the hot path allocates no closure
  const estimateDifficulty = (scanned: PromptScan, taskClass: TaskClass, input: PromptFeatures): number =>
    domainAdjustedScore(routingModelProbability(model, vector), scanned, taskClass, input);
  return {
    version,
    classify(input: PromptFeatures): PromptClassification {
      const text = promptText(input);
      scanPrompt(text, lexicon, scan);
      extractFeatures(text, scan, model.features, vector);
      return classifyScannedPrompt(scan, input, estimateDifficulty, version);
    },
  };
}
