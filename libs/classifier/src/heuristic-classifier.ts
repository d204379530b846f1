/**
 * The heuristic classifier: documented rules only, no model artifact. Task class, safety and output
 * length come from the rule modules; difficulty from `heuristicDifficulty`.
 */
import { compileCueLexicon } from './cue-lexicon';
import { heuristicDifficulty } from './heuristic-difficulty';
import { estimateOutputTokens } from './output-length-rules';
import type { PromptClassification, PromptClassifier, PromptFeatures, TaskClass } from './prompt-classification';
import { createPromptScan, type PromptScan, scanPrompt } from './prompt-scan';
import { SAFETY_THRESHOLD, safetyScore } from './safety-rules';
import { inferTaskClass } from './task-class-rules';

/** Version string of the rule set; bump it when a rule changes. */
export const HEURISTIC_VERSION = 'heuristic-1';

/** The prompt text, or '' when a JavaScript caller passed something else. */
export function promptText(input: PromptFeatures): string {
  return typeof input?.text === 'string' ? input.text : '';
}

/** Turns a scanned prompt and its task class into a difficulty. */
export type DifficultyEstimate = (scan: PromptScan, taskClass: TaskClass, input: PromptFeatures) => number;

/**
 * Classifies a scanned prompt with the rules, taking `difficulty` from `estimateDifficulty`
 * (the heuristic or the learned model). Shared by both classifiers.
 */
export function classifyScannedPrompt(
  scan: PromptScan,
  input: PromptFeatures,
  estimateDifficulty: DifficultyEstimate,
  classifierVersion: string,
): PromptClassification {
  const taskClass = inferTaskClass(scan, input);
  const safety = safetyScore(scan);
  return {
    taskClass,
    difficulty: estimateDifficulty(scan, taskClass, input),
    safetySensitive: safety >= SAFETY_THRESHOLD,
    safetyScore: safety,
    expectedOutputTokens: estimateOutputTokens(scan, taskClass),
    classifierVersion,
  };
}

/** Creates the rule-based classifier (`heuristic-1`). One instance can serve every request of a process. */
export function createHeuristicClassifier(): PromptClassifier {
  const lexicon = compileCueLexicon();
  const scan = createPromptScan();
  return {
    version: HEURISTIC_VERSION,
    classify(input: PromptFeatures): PromptClassification {
      scanPrompt(promptText(input), lexicon, scan);
      return classifyScannedPrompt(scan, input, heuristicDifficulty, HEURISTIC_VERSION);
    },
  };
}
