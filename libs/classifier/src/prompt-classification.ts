/**
 * The router's view of a prompt: the classifier interface and its input and output types.
 */

/** What kind of work a prompt asks for. */
export type TaskClass =
  | 'code'
  | 'math'
  | 'extraction'
  | 'reasoning'
  | 'chat'
  | 'creative'
  | 'summarization'
  | 'translation'
  | 'other';

/** Every task class, in the order the rules break ties. */
export const TASK_CLASSES: readonly TaskClass[] = [
  'code',
  'translation',
  'summarization',
  'extraction',
  'math',
  'creative',
  'reasoning',
  'chat',
  'other',
];

/** What the classifier may look at. */
export interface PromptFeatures {
  /** The concatenated user-visible prompt text. */
  text: string;
  /** The request offers tools to the model. */
  hasTools?: boolean;
  /** The request asks for JSON output (response format or schema). */
  wantsJson?: boolean;
}

/** The classifier's verdict on one prompt. */
export interface PromptClassification {
  taskClass: TaskClass;
  /** P(strong model needed | prompt), 0..1. */
  difficulty: number;
  /** Self-harm, weapons, drugs, intrusion, personal data, or medical/legal/financial advice. */
  safetySensitive: boolean;
  /** 0..1; `safetySensitive` is `safetyScore >= 0.5`. */
  safetyScore: number;
  /** Estimated completion length in tokens. */
  expectedOutputTokens: number;
  /** e.g. `heuristic-1` or `learned-2026-11-26.1`. */
  classifierVersion: string;
}

/** Classifies prompts for the router. `classify` is synchronous and cheap enough for the hot path. */
export interface PromptClassifier {
  readonly version: string;
  classify(input: PromptFeatures): PromptClassification;
}
