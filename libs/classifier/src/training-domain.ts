/**
 * What the learned model knows and what it does not. It was trained on multiple-choice knowledge
 * questions (MMLU) and math word problems (GSM8K) only; on prompts the rules recognize as another
 * kind of task (chat, code, writing, translation…) its score is half trusted and half replaced by a
 * prior per task class.
 */
import type { PromptFeatures, TaskClass } from './prompt-classification';
import type { PromptScan } from './prompt-scan';

/**
 * Prior expected gain of the strong model, E[strong_correct − weak_correct], per task class.
 * Anchors: knowledge questions ≈ 0.12 (MMLU training mean), math word problems ≈ 0.24 (GSM8K).
 * The rest is a judgement, ordered as the strong–weak gap usually is on open-ended prompts (largest
 * for code, math and reasoning; smallest for chat and creative writing).
 */
export const CLASS_PRIOR_GAIN: Readonly<Record<TaskClass, number>> = {
  code: 0.25,
  math: 0.24,
  reasoning: 0.2,
  other: 0.12,
  extraction: 0.1,
  translation: 0.08,
  summarization: 0.05,
  creative: 0.05,
  chat: 0,
};

/** Added to the prior gain when the request offers tools (the model never saw tool use). */
export const TOOL_USE_PRIOR_GAIN = 0.1;

/** Prompts with more non-ASCII code units than this share are treated as non-English (unseen). */
export const NON_ENGLISH_SHARE = 0.2;

/** Weight of the learned score outside the training domain (the prior gets the rest). */
export const OUT_OF_DOMAIN_MODEL_WEIGHT = 0.5;

/**
 * Whether the model's score is used as is: multiple-choice prompts and math problems (the training
 * data), and `other` prompts, where the rules know nothing better than the model; never for
 * requests with tools or mostly non-ASCII (non-English) text, which the model never saw.
 */
export function isTrainingDomain(scan: PromptScan, taskClass: TaskClass, input: PromptFeatures): boolean {
  if (input.hasTools || scan.nonAscii > NON_ENGLISH_SHARE * scan.chars) return false;
  return scan.optionLines >= 2 || taskClass === 'math' || taskClass === 'other';
}

/**
 * The learned score adjusted for the training domain: unchanged inside it, otherwise blended with
 * `(1 + prior gain) / 2` (the prior on the model's own 0..1 scale).
 */
export function domainAdjustedScore(
  modelScore: number,
  scan: PromptScan,
  taskClass: TaskClass,
  input: PromptFeatures,
): number {
  if (isTrainingDomain(scan, taskClass, input)) return modelScore;
  const gain = CLASS_PRIOR_GAIN[taskClass] + (input.hasTools ? TOOL_USE_PRIOR_GAIN : 0);
  const prior = (1 + gain) / 2;
  return OUT_OF_DOMAIN_MODEL_WEIGHT * modelScore + (1 - OUT_OF_DOMAIN_MODEL_WEIGHT) * prior;
}
