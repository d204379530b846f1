import { createLearnedClassifier, loadRoutingModel } from '@switchyard/classifier';
import { trainRoutingModel } from './model-training';
import type { RoutingRow } from './routing-data';
import { DEFAULT_TRAINING_CONFIG, type TrainingConfig } from './training-config';

/** Prompts about proofs need the strong model; prompts about colours do not. */
function toyRows(): RoutingRow[] {
  return Array.from({ length: 80 }, (_, i) => {
    const hard = i % 2 === 0;
    return {
      id: `toy/${i}`,
      benchmark: 'toy',
      prompt: hard ? `Prove theorem ${i} about primes rigorously.` : `Name colour ${i} of the rainbow.`,
      strongCorrect: 1,
      weakCorrect: hard ? 0 : 1,
      contaminated: false,
    };
  });
}

const CONFIG: TrainingConfig = {
  ...DEFAULT_TRAINING_CONFIG,
  features: { ...DEFAULT_TRAINING_CONFIG.features, hashBits: 10 },
  l2: 1e-3,
  iterations: 100,
  learningRate: 0.05,
};
const PROVENANCE = { files: [], validationRows: 0, contaminatedRows: 0, split: 'none' };

describe('trainRoutingModel', () => {
  it('learns which prompts need the strong model', () => {
    const artifact = loadRoutingModel(trainRoutingModel(toyRows(), CONFIG, PROVENANCE));
    const classifier = createLearnedClassifier(artifact);
    const hard = classifier.classify({ text: 'Prove theorem 1000 about primes rigorously.' }).difficulty;
    const easy = classifier.classify({ text: 'Name colour 1000 of the rainbow.' }).difficulty;
    expect(hard).toBeGreaterThan(easy);
  });

  it('is reproducible to the byte', () => {
    const first = JSON.stringify(trainRoutingModel(toyRows(), CONFIG, PROVENANCE));
    const second = JSON.stringify(trainRoutingModel(toyRows(), CONFIG, PROVENANCE));
    expect(second).toBe(first);
  });
});
