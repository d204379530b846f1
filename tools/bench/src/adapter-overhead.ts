/**
 * Benchmark: what a provider adapter adds per request, against calling the same fake upstream
 * directly with the same official SDK.
 *
 * For each adapter (a real process: `tsx services/adapter-*\/src/main.ts`) and each concurrency, it
 * sends `--requests` unary calls and `--requests` streamed calls twice: straight to the fake with
 * the SDK, and through the adapter with the Switchyard gRPC client. It reports latency percentiles,
 * throughput, time to first delta, and the adapter process's CPU time per request (from
 * /proc/<pid>/stat). Bounded: every scenario stops at `--requests` or `--max-seconds`, whichever
 * comes first. Writes its section of docs/benchmarks.md (`--no-write` to only print).
 *
 *   node_modules/.bin/tsx tools/bench/src/adapter-overhead.ts [--requests 1000] [--concurrency 1,16] [--max-seconds 15]
 */
import { mkdirSync, rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { Command } from 'commander';
import OpenAI from 'openai';
import { common } from '@switchyard/contracts';
import { createProviderClient } from '@switchyard/sdk';
import { startAdapterProcess, startFakeAnthropic, startFakeOpenAI, writeWorkspaceTsconfig, type AdapterProcess, type FakeUpstream } from '@switchyard/testing';
import { writeBenchmarkSection } from './benchmarks-doc';
import { measureClosedLoop, type Measurement } from './closed-loop';
import { processCpuMs } from './process-stats';

const repoRoot = resolve(__dirname, '../../..');
const PROMPT = 'Summarise what a provider adapter does in one sentence.';

interface Options {
  requests: number;
  concurrency: number[];
  maxSeconds: number;
  adapters: string[];
  write: boolean;
}

interface Row {
  adapter: string;
  mode: 'unary' | 'stream';
  concurrency: number;
  direct: Measurement;
  viaAdapter: Measurement;
  adapterCpuMsPerRequest: number;
}

interface AdapterUnderTest {
  name: string;
  fake: FakeUpstream;
  process: AdapterProcess;
  model: string;
  direct: { unary(): Promise<void>; stream(onDelta: () => void): Promise<void> };
}

async function startAdapters(options: Options, tsconfig: string): Promise<AdapterUnderTest[]> {
  const started: AdapterUnderTest[] = [];
  const baseEnv = { PATH: process.env['PATH'], SWITCHYARD_UPSTREAM__TIMEOUT_MS: '30000' };
  for (const name of options.adapters) {
    if (name === 'openai' || name === 'openai-compatible') {
      const fake = await startFakeOpenAI();
      const sdk = new OpenAI({ baseURL: fake.baseURL, apiKey: fake.apiKey, maxRetries: 0, logLevel: 'off' });
      const model = name === 'openai' ? 'gpt-4o-mini' : 'bench-model';
      const env =
        name === 'openai'
          ? { ...baseEnv, SWITCHYARD_UPSTREAM__BASE_URL: fake.baseURL, OPENAI_API_KEY: fake.apiKey, SWITCHYARD_MODELS: `[{id: ${model}}]` }
          : {
              ...baseEnv,
              SWITCHYARD_UPSTREAM__BASE_URL: fake.baseURL,
              SWITCHYARD_UPSTREAM__API_KEY_ENV: 'BENCH_KEY',
              BENCH_KEY: fake.apiKey,
              SWITCHYARD_PROVIDER: 'bench',
              SWITCHYARD_DEPLOYMENT: 'bench-1',
              SWITCHYARD_MODELS: `[{id: ${model}, selfHosted: true, capabilities: {maxOutputTokens: 4096}}]`,
            };
      const adapterProcess = await startAdapterProcess({ entry: join(repoRoot, `services/adapter-${name}/src/main.ts`), tsconfig, cwd: repoRoot, env });
      started.push({
        name,
        fake,
        process: adapterProcess,
        model,
        direct: {
          unary: async () => void (await sdk.chat.completions.create({ model, messages: [{ role: 'user', content: PROMPT }] })),
          stream: async (onDelta) => {
            const stream = await sdk.chat.completions.create({ model, stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: PROMPT }] });
            for await (const chunk of stream) if (chunk.choices[0]?.delta.content) onDelta();
          },
        },
      });
    } else if (name === 'anthropic') {
      const fake = await startFakeAnthropic();
      const sdk = new Anthropic({ baseURL: fake.baseURL, apiKey: fake.apiKey, authToken: null, maxRetries: 0, logLevel: 'off' });
      const model = 'claude-haiku-4-5';
      const adapterProcess = await startAdapterProcess({
        entry: join(repoRoot, 'services/adapter-anthropic/src/main.ts'),
        tsconfig,
        cwd: repoRoot,
        env: { ...baseEnv, SWITCHYARD_UPSTREAM__BASE_URL: fake.baseURL, ANTHROPIC_API_KEY: fake.apiKey, SWITCHYARD_MODELS: `[{id: ${model}}]` },
      });
      const body = { model, max_tokens: 4096, messages: [{ role: 'user' as const, content: PROMPT }] };
      started.push({
        name,
        fake,
        process: adapterProcess,
        model,
        direct: {
          unary: async () => void (await sdk.messages.create(body, { timeout: 30_000 })),
          stream: async (onDelta) => {
            const stream = await sdk.messages.create({ ...body, stream: true }, { timeout: 30_000 });
            for await (const event of stream) if (event.type === 'content_block_delta') onDelta();
          },
        },
      });
    } else {
      throw new Error(`unknown adapter ${name}`);
    }
  }
  return started;
}

async function benchmark(options: Options): Promise<Row[]> {
  const dir = join(repoRoot, 'tmp', `bench-adapter-overhead-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const adapters = await startAdapters(options, writeWorkspaceTsconfig(repoRoot, dir));
  const rows: Row[] = [];
  try {
    for (const adapter of adapters) {
      const client = createProviderClient(adapter.process.address, { timeoutMs: 30_000 });
      const messages = [{ role: common.Role.USER, parts: [{ kind: { case: 'text' as const, value: PROMPT } }] }];
      const viaAdapter = {
        unary: async () => void (await client.generate({ model: adapter.model, messages })),
        stream: async (onDelta: () => void) => {
          for await (const event of client.streamGenerate({ model: adapter.model, messages })) if (event.event.case === 'delta') onDelta();
        },
      };
      // Warm-up: JIT, connections, tokenizer tables.
      await measureClosedLoop(100, 4, 10, () => adapter.direct.unary());
      await measureClosedLoop(100, 4, 10, () => viaAdapter.unary());
      await measureClosedLoop(50, 4, 10, (d) => viaAdapter.stream(d));
      for (const mode of ['unary', 'stream'] as const) {
        for (const concurrency of options.concurrency) {
          const direct = await measureClosedLoop(options.requests, concurrency, options.maxSeconds, (d) => (mode === 'unary' ? adapter.direct.unary() : adapter.direct.stream(d)));
          const cpuBefore = processCpuMs(adapter.process.child.pid);
          const via = await measureClosedLoop(options.requests, concurrency, options.maxSeconds, (d) => (mode === 'unary' ? viaAdapter.unary() : viaAdapter.stream(d)));
          const cpuMs = processCpuMs(adapter.process.child.pid) - cpuBefore;
          const row: Row = { adapter: adapter.name, mode, concurrency, direct, viaAdapter: via, adapterCpuMsPerRequest: cpuMs / Math.max(1, via.requests) };
          rows.push(row);
          console.log(formatRow(row));
        }
      }
      client.close();
    }
  } finally {
    for (const adapter of adapters) {
      await adapter.process.stop();
      await adapter.fake.close();
    }
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

const ms = (value: number | undefined) => (value === undefined || Number.isNaN(value) ? '–' : value.toFixed(2));

function formatRow(row: Row): string {
  const rate = (m: Measurement) => (m.requests / m.seconds).toFixed(0);
  const cells = [
    `adapter-${row.adapter}`,
    row.mode,
    String(row.concurrency),
    `${ms(row.direct.p50)} / ${ms(row.direct.p99)}`,
    `${ms(row.viaAdapter.p50)} / ${ms(row.viaAdapter.p99)}`,
    ms(row.viaAdapter.p50 - row.direct.p50),
    row.mode === 'stream' ? `${ms(row.direct.ttftP50)} → ${ms(row.viaAdapter.ttftP50)}` : '–',
    `${rate(row.direct)} → ${rate(row.viaAdapter)}`,
    ms(row.adapterCpuMsPerRequest),
    String(row.direct.errors + row.viaAdapter.errors),
  ];
  return `| ${cells.join(' | ')} |`;
}

function markdown(rows: Row[], options: Options): string {
  const header = [
    '| adapter | mode | concurrency | direct p50 / p99 ms | via adapter p50 / p99 ms | added p50 ms | time to first delta p50 ms | req/s direct → via | adapter CPU ms/req | errors |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  return [
    '## Adapter overhead',
    '',
    'What a provider adapter adds per request: the same fake upstream called directly with the official SDK',
    '(openai 6.49 or @anthropic-ai/sdk 1.14), then through the adapter (a separate `tsx` process) with the',
    'Switchyard gRPC client. Streams are replies of about a dozen deltas. "adapter CPU ms/req" is the adapter',
    "process's user+system CPU time divided by the requests it served (from /proc; 10 ms tick resolution",
    'over the whole scenario). Produced by `tools/bench/src/adapter-overhead.ts`.',
    '',
    `Run: ${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), load ${loadavg()[0]?.toFixed(2)}, ` +
      `${options.requests} requests per scenario (at most ${options.maxSeconds} s), Node ${process.version}.`,
    '',
    ...header,
    ...rows.map(formatRow),
    '',
    ...summary(rows),
  ].join('\n');
}

/** Sentences computed from the rows (so the text never disagrees with the table). */
function summary(rows: Row[]): string[] {
  const range = (values: number[]) => {
    const finite = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
    return finite.length === 0 ? '–' : `${ms(finite[0])}–${ms(finite[finite.length - 1])}`;
  };
  const serial = rows.filter((r) => r.concurrency === Math.min(...rows.map((x) => x.concurrency)));
  const unary = serial.filter((r) => r.mode === 'unary');
  const stream = serial.filter((r) => r.mode === 'stream');
  return [
    `At concurrency ${serial[0]?.concurrency ?? 1}, going through an adapter added ${range(unary.map((r) => r.viaAdapter.p50 - r.direct.p50))} ms to the`,
    `median unary call and ${range(stream.map((r) => (r.viaAdapter.ttftP50 ?? NaN) - (r.direct.ttftP50 ?? NaN)))} ms to the median time to first delta;`,
    `the adapter process spent ${range(rows.map((r) => r.adapterCpuMsPerRequest))} ms of CPU per request. Deltas are forwarded as they`,
    'arrive (no buffering), so a stream pays the hop once, not per delta. On 2 cores the load generator, the fake',
    'and the adapter share the CPU, so the high-concurrency rows show contention more than adapter cost; the load',
    'average above says how busy the machine was (other jobs inflate every number: compare rows of one run).',
  ];
}

async function main(): Promise<void> {
  const program = new Command('adapter-overhead')
    .option('--requests <n>', 'requests per scenario', (v) => Number(v), 1000)
    .option('--concurrency <list>', 'comma-separated concurrencies', (v) => v.split(',').map(Number), [1, 16])
    .option('--max-seconds <s>', 'time limit per scenario', (v) => Number(v), 15)
    .option('--adapters <list>', 'adapters to measure', (v) => v.split(','), ['openai', 'anthropic', 'openai-compatible'])
    .option('--no-write', 'print only; do not update docs/benchmarks.md')
    .parse(process.argv);
  const options = program.opts<Options>();
  const rows = await benchmark(options);
  const section = markdown(rows, options);
  console.log(`\n${section}`);
  if (options.write) console.log(`\nwrote ${writeBenchmarkSection('## Adapter overhead', section)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
