// Builds suites/gsm8k.v1.jsonl from the RouteLLM routing data (../shared/data/routing from the repo root).
//
//   npx tsx services/evaluator/src/suites/build-gsm8k-suite.ts [--data DIR] [--out FILE] [--gold test.jsonl] [--check]
//
// The data holds each prompt, both models' recorded answers and RouteLLM's 0/1 correctness, but not
// the gold answer. RouteLLM scored an answer correct when its last integer equalled the gold one, so
// an answer marked correct carries the gold number: the reference is the strong model's final integer
// where strong_correct = 1, else the weak model's where weak_correct = 1. Where both are wrong the
// gold cannot be derived, and the item is left out (listed with its reason). With --gold (GSM8K's
// test.jsonl from openai/grade-school-math) every item gets its true gold answer instead.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { lastInteger } from '../scorers/numeric-answer';

/** One row of routellm_gsm8k.jsonl. */
export interface Gsm8kRow {
  id: string;
  prompt: string;
  strong_correct: number;
  weak_correct: number;
  contaminated: boolean;
}

/** One row of routellm_gsm8k_responses.jsonl. */
export interface Gsm8kResponseRow {
  id: string;
  strong_response: string;
  weak_response: string;
}

/** An item left out of the suite, and why. */
export interface Gsm8kExclusion {
  id: string;
  reason: string;
}

/** The built suite: the file's lines and what was left out. */
export interface Gsm8kSuiteBuild {
  lines: string[];
  itemCount: number;
  excluded: Gsm8kExclusion[];
  /** Where each reference came from. */
  referenceSources: Record<'strong' | 'weak' | 'gold', number>;
}

/** The suite's version: bump it when the items or the prompt change, so old and new results are never mixed. */
export const GSM8K_SUITE_VERSION = '1';

const SYSTEM_PROMPT =
  'Solve the grade-school math word problem. Reason step by step, then give the final answer as a single number at the end.';

/** Gold answers by GSM8K test index, from openai/grade-school-math's test.jsonl (`answer` ends in "#### N"). */
export function parseGoldFile(text: string): Map<number, number> {
  const gold = new Map<number, number>();
  text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .forEach((line, index) => {
      const answer = (JSON.parse(line) as { answer: string }).answer;
      const read = lastInteger(answer.split('####').pop() ?? '');
      if (read.value !== undefined) gold.set(index, read.value);
    });
  return gold;
}

function finalInteger(text: string): number | undefined {
  return lastInteger(text).value;
}

/**
 * Builds the GSM8K suite from the data rows (pure). Each item's reference must reproduce RouteLLM's
 * recorded correctness of BOTH models under the numeric scorer's `last_integer` rule; an item where
 * it cannot is excluded with the reason, rather than bending the scorer.
 */
export function buildGsm8kSuite(rows: readonly Gsm8kRow[], responses: readonly Gsm8kResponseRow[], gold?: ReadonlyMap<number, number>): Gsm8kSuiteBuild {
  const answers = new Map(responses.map((row) => [row.id, row]));
  const excluded: Gsm8kExclusion[] = [];
  const sources = { strong: 0, weak: 0, gold: 0 };
  const items: string[] = [];
  for (const row of rows) {
    const response = answers.get(row.id);
    if (!response) {
      excluded.push({ id: row.id, reason: 'no recorded responses' });
      continue;
    }
    const strong = finalInteger(response.strong_response);
    const weak = finalInteger(response.weak_response);
    let reference: number | undefined;
    let source: 'strong' | 'weak' | 'gold';
    const testIndex = Number(row.id.split('/')[1]);
    if (gold?.has(testIndex)) {
      reference = gold.get(testIndex);
      source = 'gold';
    } else if (row.strong_correct === 1) {
      reference = strong;
      source = 'strong';
    } else if (row.weak_correct === 1) {
      reference = weak;
      source = 'weak';
    } else {
      excluded.push({ id: row.id, reason: 'both models were wrong, so the gold answer cannot be derived from the data' });
      continue;
    }
    if (reference === undefined) {
      excluded.push({ id: row.id, reason: `the ${source} answer marked correct has no readable final integer` });
      continue;
    }
    // The reference must reproduce both recorded labels, or the offline run could not agree item by item.
    const strongAgrees = (strong === reference ? 1 : 0) === row.strong_correct;
    const weakAgrees = (weak === reference ? 1 : 0) === row.weak_correct;
    if (!strongAgrees || !weakAgrees) {
      excluded.push({ id: row.id, reason: `reference ${reference} disagrees with RouteLLM's recorded ${!strongAgrees ? 'strong' : 'weak'} correctness` });
      continue;
    }
    sources[source]++;
    items.push(
      JSON.stringify({
        id: row.id,
        prompt: row.prompt,
        reference: String(reference),
        metadata: { contaminated: row.contaminated, reference_from: source },
      }),
    );
  }
  const description =
    `GSM8K grade-school math (RouteLLM training portion): ${items.length} of ${rows.length} prompts, final integer compared with the gold answer` +
    (excluded.length > 0 ? `; ${excluded.length} left out (see docs/evaluator.md)` : '');
  const header = JSON.stringify({
    suite: 'gsm8k',
    version: GSM8K_SUITE_VERSION,
    description,
    task_class: 'math',
    scorer: { type: 'numeric_final_answer', extract: 'last_integer' },
    system: SYSTEM_PROMPT,
    params: { temperature: 0, max_output_tokens: 1024 },
  });
  return { lines: [header, ...items], itemCount: items.length, excluded, referenceSources: sources };
}

function readJsonLines<Row>(file: string): Row[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line, index) => {
      try {
        return JSON.parse(line) as Row;
      } catch (error) {
        throw new Error(`${file}:${index + 1}: ${(error as Error).message}`);
      }
    });
}

/** The repository root (this file is services/evaluator/src/suites/). */
export const REPO_ROOT = path.resolve(__dirname, '../../../..');
/** The routing data folder, `../shared/data/routing` from the repository root. */
export const DEFAULT_ROUTING_DATA_DIR = path.resolve(REPO_ROOT, '../shared/data/routing');
/** Where the suite file lives. */
export const DEFAULT_GSM8K_SUITE_FILE = path.resolve(__dirname, '../../suites/gsm8k.v1.jsonl');

/** Reads the data files and builds the suite. */
export function buildGsm8kSuiteFromFiles(dataDir = DEFAULT_ROUTING_DATA_DIR, goldFile?: string): Gsm8kSuiteBuild {
  const rows = readJsonLines<Gsm8kRow>(path.join(dataDir, 'routellm_gsm8k.jsonl'));
  const responses = readJsonLines<Gsm8kResponseRow>(path.join(dataDir, 'routellm_gsm8k_responses.jsonl'));
  return buildGsm8kSuite(rows, responses, goldFile ? parseGoldFile(readFileSync(goldFile, 'utf8')) : undefined);
}

function main(argv: string[]): number {
  const option = (name: string) => {
    const at = argv.indexOf(name);
    return at >= 0 ? argv[at + 1] : undefined;
  };
  const out = option('--out') ?? DEFAULT_GSM8K_SUITE_FILE;
  const build = buildGsm8kSuiteFromFiles(option('--data') ?? DEFAULT_ROUTING_DATA_DIR, option('--gold'));
  const text = `${build.lines.join('\n')}\n`;
  const summary = `${build.itemCount} items (references: ${build.referenceSources.strong} strong, ${build.referenceSources.weak} weak, ${build.referenceSources.gold} gold), ${build.excluded.length} excluded`;
  if (argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(out, 'utf8');
    } catch {
      // a missing file is out of date
    }
    process.stdout.write(current === text ? `${out} is up to date: ${summary}\n` : `${out} is out of date; run without --check\n`);
    return current === text ? 0 : 1;
  }
  writeFileSync(out, text);
  process.stdout.write(`wrote ${out}: ${summary}\n`);
  const reasons = new Map<string, string[]>();
  for (const exclusion of build.excluded) reasons.set(exclusion.reason, [...(reasons.get(exclusion.reason) ?? []), exclusion.id]);
  for (const [reason, ids] of reasons) process.stdout.write(`  excluded ${ids.length}: ${reason}\n`);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
