/**
 * Evaluates a routing-model artifact on the validation split with RouteLLM's metrics.
 *
 *   npx tsx tools/routing-classifier/src/evaluate.ts [--data DIR] [--artifact FILE]
 *     [--resamples N] [--seed N]
 *
 * Prints, per benchmark and pooled, APGR / CPT(50%) / CPT(80%) with bootstrap 95 % intervals for
 * the learned classifier, the heuristic one, random, prompt length and the oracle; the paired
 * interval of APGR(learned) − APGR(prompt length); and the classifications of prompts unlike the
 * training data. Only validation rows are scored.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  committedRoutingModel,
  createHeuristicClassifier,
  createLearnedClassifier,
  loadRoutingModel,
  type PromptClassifier,
} from '@switchyard/classifier';
import { EVALUATION_COMPARISONS, evaluationRouters } from './baseline-routers';
import { splitRoutingRows } from './data-split';
import { formatEvaluation } from './evaluation-table';
import { DEFAULT_DATA_DIR } from './repo-paths';
import { evaluateRouters } from './router-evaluation';
import { readRoutingData } from './routing-data';
import { DEFAULT_TRAINING_CONFIG } from './training-config';
import { UNFAMILIAR_PROMPTS } from './unfamiliar-prompts';

/** A Markdown table of the classifier's verdicts on the hand-check prompts. */
export function formatUnfamiliarPrompts(classifier: PromptClassifier): string {
  const lines = [
    '| prompt | difficulty | task class | safety | expected output tokens |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const prompt of UNFAMILIAR_PROMPTS) {
    const c = classifier.classify({ text: prompt.text, hasTools: prompt.hasTools });
    const safety = `${c.safetyScore.toFixed(2)}${c.safetySensitive ? ' (sensitive)' : ''}`;
    lines.push(`| ${prompt.label} | ${c.difficulty.toFixed(3)} | ${c.taskClass} | ${safety} | ${c.expectedOutputTokens} |`);
  }
  return lines.join('\n');
}

/** Runs the evaluation with command-line arguments; returns the process exit code. */
export function main(argv: readonly string[]): number {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      data: { type: 'string' },
      artifact: { type: 'string' },
      resamples: { type: 'string' },
      seed: { type: 'string' },
    },
  });
  const artifact = values.artifact
    ? loadRoutingModel(JSON.parse(readFileSync(values.artifact, 'utf8')))
    : committedRoutingModel();
  const learned = createLearnedClassifier(artifact);
  const { validation } = splitRoutingRows(readRoutingData(values.data ?? DEFAULT_DATA_DIR).rows);
  const groups = evaluateRouters(validation, evaluationRouters(validation, learned, createHeuristicClassifier()), {
    resamples: Number(values.resamples ?? DEFAULT_TRAINING_CONFIG.resamples),
    seed: Number(values.seed ?? DEFAULT_TRAINING_CONFIG.seed),
    comparisons: EVALUATION_COMPARISONS,
  });
  console.log(`## ${artifact.version} on the validation split (${validation.length} rows)\n`);
  console.log(formatEvaluation(groups));
  console.log('## Prompts unlike the training data\n');
  console.log(formatUnfamiliarPrompts(learned));
  return 0;
}

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (error) {
    console.error(`evaluate: ${(error as Error).message}`);
    process.exitCode = 1;
  }
}
