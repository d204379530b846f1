/**
 * Benchmark: a full offline GSM8K evaluation. Fakes replay the strong and weak models' recorded
 * RouteLLM answers; the real evaluator (its own process, embedded PGlite) runs the whole `gsm8k`
 * suite against both through a ProviderService; the measured accuracies are compared with the data
 * file, item by item. Writes its section of docs/benchmarks.md (`--no-write` to only print).
 *
 *   node_modules/.bin/tsx tools/bench/src/offline-gsm8k.ts [--limit N] [--concurrency 8]
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { evaluator } from '@switchyard/contracts';
import { loadGsm8kReplay, startFakeOpenAI } from '@switchyard/testing';
import { createLongCallEvaluatorClient, routingDataDir, startEvaluatorProcess, startForwardingProvider } from './evaluator-harness';
import { writeBenchmarkSection } from './benchmarks-doc';

const STRONG = 'gpt-4-1106-preview';
const WEAK = 'mixtral-8x7b-instruct';

interface Options {
  limit: number;
  concurrency: number;
  write: boolean;
}

interface DataRow {
  id: string;
  strong_correct: number;
  weak_correct: number;
  contaminated: boolean;
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

async function main(): Promise<void> {
  const options = new Command()
    .option('--limit <n>', 'only the first N items (0: all)', (v) => Number(v), 0)
    .option('--concurrency <n>', 'model calls in flight', (v) => Number(v), 8)
    .option('--no-write', 'print only; do not update docs/benchmarks.md')
    .parse()
    .opts<Options>();

  const replay = await loadGsm8kReplay(join(routingDataDir, 'routellm_gsm8k_responses.jsonl'), { strongModel: STRONG, weakModel: WEAK });
  const fake = await startFakeOpenAI({ replay });
  const provider = await startForwardingProvider({ baseURL: fake.baseURL, apiKey: fake.apiKey });
  const evaluatorProcess = await startEvaluatorProcess({
    SWITCHYARD_MODELS__PROVIDERS__OPENAI: provider.address,
    SWITCHYARD_MODELS__PROVIDERS__DEEPINFRA: provider.address,
  });
  const client = createLongCallEvaluatorClient(evaluatorProcess.address);
  try {
    const started = performance.now();
    const { run } = await client.startRun({ suite: 'gsm8k', models: [STRONG, WEAK], limit: options.limit, concurrency: options.concurrency });
    let final = run!;
    let shown = -1;
    for await (const update of client.watchRun({ runId: final.runId }, { timeoutMs: 3600_000 })) {
      final = update.run!;
      const tenth = Math.floor((10 * final.completed) / Math.max(1, final.total));
      if (tenth !== shown) {
        shown = tenth;
        process.stderr.write(`  ${final.completed}/${final.total}\n`);
      }
    }
    const seconds = (performance.now() - started) / 1000;
    if (final.state !== evaluator.RunState.SUCCEEDED) throw new Error(`run ${final.runId} ended ${final.state}: ${final.errorMessage}`);

    const results: evaluator.ItemResult[] = [];
    let pageToken = '';
    for (let page = 0; page < 100; page++) {
      const response = await client.listRunResults({ runId: final.runId, pageSize: 1000, pageToken });
      results.push(...response.results);
      pageToken = response.nextPageToken;
      if (!pageToken) break;
    }

    const rows = readFileSync(join(routingDataDir, 'routellm_gsm8k.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as DataRow);
    const byId = new Map(rows.map((row) => [row.id, row]));
    const itemIds = [...new Set(results.map((result) => result.itemId))];
    const table: string[] = [];
    for (const [model, key] of [
      [`openai/${STRONG}`, 'strong_correct'],
      [`deepinfra/${WEAK}`, 'weak_correct'],
    ] as const) {
      const mine = results.filter((result) => result.model === model);
      const errors = mine.filter((result) => result.errorMessage !== '').length;
      const measured = mine.reduce((sum, result) => sum + (result.score ?? 0), 0) / mine.length;
      const data = itemIds.reduce((sum, id) => sum + byId.get(id)![key], 0) / itemIds.length;
      const agree = mine.filter((result) => result.score === byId.get(result.itemId)![key]).length;
      const aggregate = final.aggregates.find((row) => row.model === model && row.taskClass === '')!;
      const fullData = rows.reduce((sum, row) => sum + row[key], 0) / rows.length;
      table.push(
        `| ${model} | ${mine.length} | ${pct(measured)} | ${pct(aggregate.ciLow)}–${pct(aggregate.ciHigh)} | ${pct(data)} | ${agree}/${mine.length} | ${errors} | ${pct(fullData)} |`,
      );
    }
    const lines = [
      '## Offline GSM8K evaluation',
      '',
      'A full `gsm8k` suite run by the real evaluator (its own process, embedded PGlite) against fake upstreams that',
      "replay RouteLLM's recorded answers of the strong (gpt-4-1106-preview) and weak (Mixtral-8x7B) models, compared",
      "item by item with the data file's `strong_correct` / `weak_correct`. The suite holds the 868 of 928 training",
      'prompts whose gold answer can be derived from the data (both models wrong: left out, see docs/evaluator.md), so',
      'the last column gives the data file\'s accuracy over all 928 for comparison. Produced by `tools/bench/src/offline-gsm8k.ts`.',
      '',
      `Run: ${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, load ${loadavg()[0]!.toFixed(2)}, concurrency ${options.concurrency}, ${final.total} item x model scorings in ${seconds.toFixed(1)} s (${(final.total / seconds).toFixed(0)}/s), Node ${process.version}.`,
      '',
      '| model | items | measured accuracy | 95% CI | data file, same items | items agreeing | errors | data file, all 928 |',
      '|---|---|---|---|---|---|---|---|',
      ...table,
    ];
    const section = lines.join('\n');
    console.log(`\n${section}`);
    if (options.write) console.log(`\nwrote ${writeBenchmarkSection('## Offline GSM8K evaluation', section)}`);
  } finally {
    client.close();
    await evaluatorProcess.stop();
    await provider.shutdown(100);
    await fake.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
