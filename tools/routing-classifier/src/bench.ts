/**
 * Inference benchmark of the router's classifiers on real validation prompts.
 *
 *   npx tsx tools/routing-classifier/src/bench.ts [--data DIR] [--passes N] [--no-doc]
 *
 * Prints mean / p50 / p99 / max microseconds per `classify` call and writes the section
 * "## Router decision: classifier inference" of docs/benchmarks.md (unless --no-doc).
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { createHeuristicClassifier, createLearnedClassifier } from '@switchyard/classifier';
import { writeBenchmarksSection } from './benchmarks-doc';
import { splitRoutingRows } from './data-split';
import { type InferenceTiming, timeClassifier } from './inference-timing';
import { BENCHMARKS_DOC_PATH, DEFAULT_DATA_DIR } from './repo-paths';
import { readRoutingData } from './routing-data';

/** The heading of the section this tool owns in docs/benchmarks.md. */
export const BENCH_SECTION_HEADING = '## Router decision: classifier inference';

/** The p99 budget per classify call, in microseconds. */
export const P99_TARGET_MICROS = 50;

const COMMAND = 'npx tsx tools/routing-classifier/src/bench.ts';

function timingRows(timings: readonly InferenceTiming[]): string[] {
  return [
    '| classifier | calls | mean µs | p50 µs | p99 µs | max µs |',
    '| --- | --- | --- | --- | --- | --- |',
    ...timings.map(
      (t) =>
        `| ${t.classifier} | ${t.calls} | ${t.mean.toFixed(2)} | ${t.p50.toFixed(2)} | ${t.p99.toFixed(2)} | ${t.max.toFixed(1)} |`,
    ),
  ];
}

/** Runs the benchmark with command-line arguments; returns the process exit code. */
export function main(argv: readonly string[]): number {
  const { values } = parseArgs({
    args: [...argv],
    options: { data: { type: 'string' }, passes: { type: 'string' }, 'no-doc': { type: 'boolean' } },
  });
  const passes = Number(values.passes ?? 5);
  const prompts = splitRoutingRows(readRoutingData(values.data ?? DEFAULT_DATA_DIR).rows).validation.map((row) => row.prompt);
  const lengths = prompts.map((prompt) => prompt.length).sort((a, b) => a - b);
  const learned = createLearnedClassifier();
  const timings = [
    timeClassifier(`learned (${learned.version})`, learned, prompts, passes, 3),
    timeClassifier('heuristic-1', createHeuristicClassifier(), prompts, passes, 3),
  ];
  const machine = `${os.cpus().length} cores (${os.cpus()[0]?.model.trim() ?? 'unknown CPU'}), Node ${process.version}, ${os.platform()}/${os.arch()}`;
  // other processes on the same cores inflate the tail: record how busy the machine was
  const load = `1-minute load average ${os.loadavg()[0].toFixed(1)} at the end of the run`;
  const table = timingRows(timings);
  console.log(
    `${prompts.length} validation prompts (median ${lengths[lengths.length >> 1]} chars, max ${lengths[lengths.length - 1]}), ${passes} timed passes after 3 warm-up passes\n`,
  );
  console.log(table.join('\n'));
  const learnedP99 = timings[0].p99;
  const verdict = learnedP99 <= P99_TARGET_MICROS ? 'meets' : 'MISSES';
  console.log(`\nlearned p99 ${learnedP99.toFixed(2)} µs ${verdict} the ${P99_TARGET_MICROS} µs target`);

  if (!values['no-doc']) {
    const section = [
      BENCH_SECTION_HEADING,
      '',
      `Latency of one \`classify\` call (task class, difficulty, safety, output length) on the ${prompts.length} MMLU + GSM8K`,
      `validation prompts of the routing data (median ${lengths[lengths.length >> 1]} characters, p99 ${lengths[Math.ceil(0.99 * lengths.length) - 1]}, max ${lengths[lengths.length - 1]}),`,
      `${passes} timed passes after 3 warm-up passes, each call timed with \`process.hrtime.bigint()\` (the timer itself adds a few`,
      'tenths of a microsecond). In process, single thread.',
      '',
      ...table,
      '',
      `Target: p99 ≤ ${P99_TARGET_MICROS} µs — learned p99 ${learnedP99.toFixed(2)} µs (${verdict}). The max, and through it the`,
      'mean, include calls during which other jobs on the shared cores descheduled the process; p50 and p99 are the',
      'numbers to compare.',
      '',
      `- Machine: ${machine}; ${load}.`,
      `- Command: \`${COMMAND}\` (writes this section; \`--no-doc\` only prints).`,
      '',
    ].join('\n');
    writeBenchmarksSection(BENCHMARKS_DOC_PATH, BENCH_SECTION_HEADING, section);
    console.log(`updated ${BENCHMARKS_DOC_PATH}`);
  }
  return 0;
}

if (require.main === module) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (error) {
    console.error(`bench: ${(error as Error).message}`);
    process.exitCode = 1;
  }
}
