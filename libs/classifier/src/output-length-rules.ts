/**
 * Output-length rules: a base estimate per task class, proportional to the input for
 * summarization and translation, tiny for completion-style multiple choice (`…Answer:`), then
 * capped by brevity cues ("briefly", "one word") and stretched by verbosity cues ("detailed", "essay").
 */
import { CUE } from './cue-lexicon';
import type { TaskClass } from './prompt-classification';
import type { PromptScan } from './prompt-scan';

/** Base completion length per task class, in tokens. `math` is near the GSM8K median (~100–110). */
export const BASE_OUTPUT_TOKENS: Readonly<Record<TaskClass, number>> = {
  code: 400,
  math: 150,
  extraction: 150,
  reasoning: 300,
  chat: 60,
  creative: 450,
  summarization: 150,
  translation: 100,
  other: 250,
};

/** Rough tokens in a text: four characters a token. */
export function estimateTokens(chars: number): number {
  return Math.ceil(chars / 4);
}

/** Estimates the completion length of a scanned prompt. */
export function estimateOutputTokens(scan: PromptScan, taskClass: TaskClass): number {
  const inputTokens = estimateTokens(scan.chars);
  if (scan.optionLines >= 2 && scan.endsWithAnswerCue) return 5;
  let tokens = BASE_OUTPUT_TOKENS[taskClass];
  if (taskClass === 'summarization') tokens = Math.min(Math.max(inputTokens * 0.2, 60), 500);
  else if (taskClass === 'translation') tokens = Math.min(Math.max(inputTokens * 1.2, 20), 4000);
  if (scan.cueCounts[CUE.brevity] > 0) tokens = Math.min(tokens, 60);
  else if (scan.cueCounts[CUE.verbosity] > 0) tokens *= 2;
  return Math.round(tokens);
}
