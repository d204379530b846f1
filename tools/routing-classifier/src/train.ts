/**
 * Trains the learned routing classifier and writes its artifact.
 *
 *   npx tsx tools/routing-classifier/src/train.ts [--data DIR] [--out FILE] [--dry-run]
 *     [--target strong-needed|strong-gain|weak-fails] [--l2 N] [--l2-dense N] [--iterations N] [--learning-rate N]
 *     [--hash-bits N] [--char-ngrams 3,4] [--no-bigrams] [--version V] [--created YYYY-MM-DD]
 *     [--seed N] [--resamples N]
 *
 * Reads every routing-data JSONL file of DIR (default `<repo>/../shared/data/routing`), drops
 * contaminated rows, trains on the training split only (prompt text is the only input), measures
 * the quantized artifact on the validation split and writes it (default
 * `libs/classifier/src/model/routing-model.json`). Same data + same flags = same bytes.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createHeuristicClassifier, createLearnedClassifier, loadRoutingModel } from '@switchyard/classifier';
import { EVALUATION_COMPARISONS, evaluationRouters } from './baseline-routers';
import { VALIDATION_PERCENT, splitRoutingRows } from './data-split';
import { formatEvaluation, validationSummary } from './evaluation-table';
import { trainRoutingModel } from './model-training';
import { ARTIFACT_PATH, DEFAULT_DATA_DIR } from './repo-paths';
import { evaluateRouters } from './router-evaluation';
import { readRoutingData } from './routing-data';
import { isRoutingTarget } from './routing-target';
import { DEFAULT_TRAINING_CONFIG, type TrainingConfig } from './training-config';

/** Human-readable description of the split, stored in the artifact. */
export const SPLIT_DESCRIPTION = `validation = sha256(id)[0..4] as uint32 % 100 < ${VALIDATION_PERCENT}; contaminated rows dropped`;

function numberFlag(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed)) throw new Error(`--${name} must be a number (got "${value}")`);
  return parsed;
}

function configFromFlags(values: Record<string, string | boolean | undefined>): TrainingConfig {
  const base = DEFAULT_TRAINING_CONFIG;
  const target = (values.target as string | undefined) ?? base.target;
  if (!isRoutingTarget(target)) throw new Error(`--target must be strong-needed, strong-gain or weak-fails (got "${target}")`);
  const charNgrams =
    values['char-ngrams'] === undefined
      ? base.features.charNgrams
      : String(values['char-ngrams'])
          .split(',')
          .filter((part) => part !== '')
          .map(Number);
  return {
    ...base,
    version: (values.version as string | undefined) ?? base.version,
    created: (values.created as string | undefined) ?? base.created,
    seed: numberFlag(values.seed as string | undefined, 'seed', base.seed),
    target,
    l2: numberFlag(values.l2 as string | undefined, 'l2', base.l2),
    l2Dense: numberFlag(values['l2-dense'] as string | undefined, 'l2-dense', base.l2Dense),
    iterations: numberFlag(values.iterations as string | undefined, 'iterations', base.iterations),
    learningRate: numberFlag(values['learning-rate'] as string | undefined, 'learning-rate', base.learningRate),
    resamples: numberFlag(values.resamples as string | undefined, 'resamples', base.resamples),
    features: {
      ...base.features,
      hashBits: numberFlag(values['hash-bits'] as string | undefined, 'hash-bits', base.features.hashBits),
      wordBigrams: values['no-bigrams'] ? false : base.features.wordBigrams,
      charNgrams,
    },
  };
}

/** Runs training with command-line arguments; returns the process exit code. */
export function main(argv: readonly string[]): number {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      data: { type: 'string' },
      out: { type: 'string' },
      'dry-run': { type: 'boolean' },
      target: { type: 'string' },
      l2: { type: 'string' },
      'l2-dense': { type: 'string' },
      iterations: { type: 'string' },
      'learning-rate': { type: 'string' },
      'hash-bits': { type: 'string' },
      'char-ngrams': { type: 'string' },
      'no-bigrams': { type: 'boolean' },
      version: { type: 'string' },
      created: { type: 'string' },
      seed: { type: 'string' },
      resamples: { type: 'string' },
    },
  });
  const config = configFromFlags(values);
  const dataDir = values.data ?? DEFAULT_DATA_DIR;
  const started = Date.now();
  const data = readRoutingData(dataDir);
  const split = splitRoutingRows(data.rows);
  console.log(
    `data: ${data.rows.length} rows from ${data.files.map((f) => f.name).join(', ')} in ${dataDir}` +
      (data.skippedFiles.length > 0 ? ` (skipped ${data.skippedFiles.join(', ')}: no outcomes)` : ''),
  );
  console.log(`split: ${split.train.length} train, ${split.validation.length} validation, ${split.contaminated} contaminated dropped`);

  const packed = trainRoutingModel(
    split.train,
    config,
    { files: data.files, validationRows: split.validation.length, contaminatedRows: split.contaminated, split: SPLIT_DESCRIPTION },
    (line) => console.log(line),
  );
  const learned = createLearnedClassifier(loadRoutingModel(packed));
  const groups = evaluateRouters(split.validation, evaluationRouters(split.validation, learned, createHeuristicClassifier()), {
    resamples: config.resamples,
    seed: config.seed,
    comparisons: EVALUATION_COMPARISONS,
  });
  console.log(`\nvalidation split (${split.validation.length} rows):\n`);
  console.log(formatEvaluation(groups));

  const artifact = {
    ...packed,
    validation: validationSummary(groups, {
      split: SPLIT_DESCRIPTION,
      bootstrap: `${config.resamples} resamples, seed ${config.seed}, percentile 95 % intervals`,
      apgr: 'exact area under PGR vs strong share, ties as expected value (see tools/routing-classifier/src/metrics.ts)',
    }),
  };
  const json = `${JSON.stringify(loadRoutingModel(artifact), null, 2)}\n`;
  console.log(`artifact: ${(Buffer.byteLength(json) / 1024).toFixed(0)} KiB, ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (values['dry-run']) {
    console.log('dry run: artifact not written');
  } else {
    const out = values.out ?? ARTIFACT_PATH;
    writeFileSync(out, json);
    console.log(`wrote ${out}`);
  }
  return 0;
}

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (error) {
    console.error(`train: ${(error as Error).message}`);
    process.exitCode = 1;
  }
}
