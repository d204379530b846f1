/**
 * Task-class rules: each class scores points from cue words and structure; the highest score of at
 * least `MIN_CLASS_SCORE` wins, ties going to the earlier class in `TASK_CLASSES`. Without a winner a
 * greeting or a very short prompt is `chat`, anything else `other`.
 */
import { CUE } from './cue-lexicon';
import type { PromptFeatures, TaskClass } from './prompt-classification';
import type { PromptScan } from './prompt-scan';

/** Points a class needs to win. */
export const MIN_CLASS_SCORE = 1.5;

/** Prompts of at most this many words with no other cue are `chat`. */
export const SHORT_CHAT_WORDS = 12;

/** Infers the task class of a scanned prompt. */
export function inferTaskClass(scan: PromptScan, input: PromptFeatures): TaskClass {
  const cues = scan.cueCounts;
  const chars = Math.max(1, scan.chars);
  const multipleChoice = scan.optionLines >= 2;

  const code =
    1.5 * cues[CUE.code] +
    3 * Math.min(scan.codeFences, 2) +
    (scan.codePunctuation / chars > 0.02 && scan.codePunctuation >= 4 ? 2 : 0) +
    (scan.indentedLines >= 2 ? 1 : 0);
  const translation = 3 * cues[CUE.translation];
  const summarization = 3 * cues[CUE.summarization];
  const extraction = 2 * cues[CUE.extraction] + (input.wantsJson || cues[CUE.structuredOutput] > 0 ? 1 : 0);
  // digit groups of an id or phone number (a long digit run) are not quantities
  const quantities = scan.numbers - 3 * scan.longDigitRuns;
  const math =
    cues[CUE.math] +
    (scan.mathOperators >= 2 ? 1 : 0) +
    (quantities >= 2 ? 1 : 0) +
    (scan.currencySigns > 0 ? 0.5 : 0) +
    (quantities >= 1 && scan.questionMarks > 0 ? 0.5 : 0);
  const creative = 1.5 * cues[CUE.creative];
  const reasoning = 1.5 * cues[CUE.reasoning] + (multipleChoice ? 2 : 0);

  // checked in TASK_CLASSES order; ">" keeps the earlier class on ties
  let best: TaskClass = 'other';
  let bestScore = MIN_CLASS_SCORE - 1e-9;
  if (code > bestScore) {
    best = 'code';
    bestScore = code;
  }
  if (translation > bestScore) {
    best = 'translation';
    bestScore = translation;
  }
  if (summarization > bestScore) {
    best = 'summarization';
    bestScore = summarization;
  }
  if (extraction > bestScore) {
    best = 'extraction';
    bestScore = extraction;
  }
  if (math > bestScore) {
    best = 'math';
    bestScore = math;
  }
  if (creative > bestScore) {
    best = 'creative';
    bestScore = creative;
  }
  if (reasoning > bestScore) best = 'reasoning';
  if (best !== 'other') return best;
  // scripts without spaces (CJK) have few "words": count two non-ASCII characters as one more word
  if (cues[CUE.greeting] > 0 || scan.words + (scan.nonAscii >> 1) <= SHORT_CHAT_WORDS) return 'chat';
  return 'other';
}
