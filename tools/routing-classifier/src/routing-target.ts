/**
 * What the learned score is trained to predict. Every target reads as "the strong model is needed";
 * they differ in how they treat prompts that only the weak model gets right.
 */
import type { RoutingRow } from './routing-data';

/** Names of the supported training targets. */
export const ROUTING_TARGETS = {
  /** RouteLLM's convention: P(strong correct and weak wrong). With 0..1 outcomes, s·(1−w). */
  'strong-needed': (row: RoutingRow) => row.strongCorrect * (1 - row.weakCorrect),
  /**
   * The expected gain of calling the strong model, rescaled to 0..1: (1 + s − w) / 2. Ranking by it
   * is what maximizes routed quality; prompts where only the weak model is right count against.
   */
  'strong-gain': (row: RoutingRow) => (1 + row.strongCorrect - row.weakCorrect) / 2,
  /** P(weak model wrong). */
  'weak-fails': (row: RoutingRow) => 1 - row.weakCorrect,
} as const;

/** A training target's name. */
export type RoutingTarget = keyof typeof ROUTING_TARGETS;

/** Plain-words description stored in the artifact's `target` field. */
export const TARGET_DESCRIPTIONS: Readonly<Record<RoutingTarget, string>> = {
  'strong-needed': 'P(strong correct and weak wrong | prompt) — RouteLLM label',
  'strong-gain': '(1 + E[strong_correct − weak_correct | prompt]) / 2 — expected gain of the strong model',
  'weak-fails': 'P(weak wrong | prompt)',
};

/** Whether `name` is a supported target. */
export function isRoutingTarget(name: string): name is RoutingTarget {
  return Object.hasOwn(ROUTING_TARGETS, name);
}
