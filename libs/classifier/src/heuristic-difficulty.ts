/**
 * Rule-based difficulty for the heuristic classifier: a prior per task class (math, code and
 * reasoning most often need the strong model), raised for tool use, long prompts, multi-step
 * wording and many numbers, and clamped to [0.02, 0.98].
 */
import { CUE } from './cue-lexicon';
import type { PromptFeatures, TaskClass } from './prompt-classification';
import type { PromptScan } from './prompt-scan';

/** Prior P(strong model needed) per task class. */
export const CLASS_DIFFICULTY: Readonly<Record<TaskClass, number>> = {
  code: 0.6,
  math: 0.55,
  reasoning: 0.5,
  extraction: 0.35,
  translation: 0.35,
  other: 0.35,
  summarization: 0.3,
  creative: 0.3,
  chat: 0.1,
};

/** Added when the request offers tools: multi-step tool use is where weak models fail most. */
export const TOOL_USE_DIFFICULTY = 0.1;

/** Heuristic P(strong model needed | prompt). */
export function heuristicDifficulty(scan: PromptScan, taskClass: TaskClass, input: PromptFeatures): number {
  let difficulty = CLASS_DIFFICULTY[taskClass];
  if (input.hasTools) difficulty += TOOL_USE_DIFFICULTY;
  difficulty += 0.05 * Math.min(Math.log2(1 + scan.words / 50), 3);
  difficulty += 0.03 * Math.min(scan.cueCounts[CUE.multiStep], 5);
  if (scan.numbers >= 4) difficulty += 0.05;
  return Math.min(0.98, Math.max(0.02, difficulty));
}
