/**
 * Reference routers every learned router is compared with.
 */
import type { PromptClassifier } from '@switchyard/classifier';
import type { RouterScores } from './router-evaluation';
import type { RoutingRow } from './routing-data';

/**
 * Random routing in expectation: one constant score puts every prompt in one tie block, whose
 * curve is the average over all orders — exactly `PGR(s) = s`, APGR 0.5.
 */
export function randomRouter(rows: readonly RoutingRow[]): RouterScores {
  return { router: 'random', scores: new Float64Array(rows.length) };
}

/** Longer prompts (in UTF-16 code units) go to the strong model first. */
export function promptLengthRouter(rows: readonly RoutingRow[]): RouterScores {
  return { router: 'prompt length', scores: Float64Array.from(rows, (row) => row.prompt.length) };
}

/** Knows the outcomes: strong-only-correct first, then ties, weak-only-correct last. An upper bound. */
export function oracleRouter(rows: readonly RoutingRow[]): RouterScores {
  return { router: 'oracle', scores: Float64Array.from(rows, (row) => row.strongCorrect - row.weakCorrect) };
}

/** A classifier's `difficulty` as the routing score. */
export function classifierRouter(name: string, classifier: PromptClassifier, rows: readonly RoutingRow[]): RouterScores {
  return { router: name, scores: Float64Array.from(rows, (row) => classifier.classify({ text: row.prompt }).difficulty) };
}

/** Name of the learned classifier in evaluation tables. */
export const LEARNED_ROUTER = 'learned';

/** The routers every evaluation reports: learned, heuristic, random, prompt length, oracle. */
export function evaluationRouters(
  rows: readonly RoutingRow[],
  learned: PromptClassifier,
  heuristic: PromptClassifier,
): RouterScores[] {
  return [
    classifierRouter(LEARNED_ROUTER, learned, rows),
    classifierRouter(heuristic.version, heuristic, rows),
    randomRouter(rows),
    promptLengthRouter(rows),
    oracleRouter(rows),
  ];
}

/** The APGR differences every evaluation reports (learned − prompt length is the bar). */
export const EVALUATION_COMPARISONS: ReadonlyArray<readonly [string, string]> = [
  [LEARNED_ROUTER, 'prompt length'],
  [LEARNED_ROUTER, 'random'],
];
