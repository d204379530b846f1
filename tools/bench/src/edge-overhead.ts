/**
 * Benchmark: what the HTTP edge adds per request, against calling the same router directly over
 * gRPC with the Switchyard client.
 *
 * The edge runs as a real process (`node --import tsx services/http-edge/src/main.ts`). The router
 * is, by default, a small echo RouterService in this process (grpc-kit, real API-key auth) that
 * answers instantly, so the numbers are the edge's own cost; `--router host:port --api-key KEY`
 * measures against a running router instead. For each mode (OpenAI unary and streamed through the
 * official `openai` SDK, Anthropic unary and streamed through `@anthropic-ai/sdk`) and each
 * concurrency it sends `--requests` calls straight to the router and `--requests` through the edge,
 * and reports p50/p99 latency, the p50/p99 added, time to first delta, throughput and the edge
 * process's CPU time per request (from /proc/<pid>/stat). Bounded: every scenario stops at
 * `--requests` or `--max-seconds`, whichever comes first. Writes its section of docs/benchmarks.md
 * (`--no-write` to only print).
 *
 *   node_modules/.bin/tsx tools/bench/src/edge-overhead.ts [--requests 1000] [--concurrency 1,16] [--max-seconds 15]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import Anthropic from '@anthropic-ai/sdk';
import { Command } from 'commander';
import OpenAI from 'openai';
import { common, router } from '@switchyard/contracts';
import { createApiKeyAuthenticator, createApiKeyStore, createLogger, startGrpcServer, type RunningGrpcServer } from '@switchyard/grpc-kit';
import { createRouterClient, type RouterServiceImplementation } from '@switchyard/sdk';
import { writeWorkspaceTsconfig } from '@switchyard/testing';
import { writeBenchmarkSection } from './benchmarks-doc';
import { measureClosedLoop, type Measurement } from './closed-loop';
import { processCpuMs } from './process-stats';

const repoRoot = resolve(__dirname, '../../..');
const PROMPT = 'Summarise what an HTTP edge in front of a model router does in one sentence.';
const REPLY = 'It translates OpenAI and Anthropic requests into one gRPC call to the router and the answer back again.';

interface Options {
  requests: number;
  concurrency: number[];
  maxSeconds: number;
  router?: string;
  apiKey?: string;
  model: string;
  write: boolean;
}

type Mode = 'openai unary' | 'openai stream' | 'anthropic unary' | 'anthropic stream';

interface Row {
  mode: Mode;
  concurrency: number;
  direct: Measurement;
  viaEdge: Measurement;
  edgeCpuMsPerRequest: number;
}

/** An echo RouterService that answers at once: a fixed reply, streamed one word per delta. */
async function startEchoRouter(): Promise<{ server: RunningGrpcServer; apiKey: string }> {
  const store = createApiKeyStore({ keys: [] });
  const apiKey = store.issue('bench', 'team').secret;
  const words = REPLY.match(/\s*\S+/g) ?? [];
  const accounting = (model: string) => ({
    usage: { inputTokens: 20n, outputTokens: 22n },
    cost: { nanosUsd: 16_200n, priceVersion: 'bench', baselineNanosUsd: 270_000n, baselineModel: 'openai/gpt-4o' },
    route: { chosen: { provider: 'bench', model: 'echo', deployment: 'bench-1' }, rule: model === 'switchyard/auto' ? 'cheapest_meeting_quality' : 'pinned', reason: 'bench' },
    responseModel: 'echo',
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  });
  const implementation: RouterServiceImplementation = {
    generate: (request) => ({
      message: { role: common.Role.ASSISTANT, parts: [{ kind: { case: 'text', value: REPLY } }] },
      finishReason: common.FinishReason.STOP,
      requestId: request.context?.requestId ?? '',
      ...accounting(request.model),
    }),
    async *streamGenerate(request) {
      for (const text of words) yield { event: { case: 'delta', value: { text } } };
      yield { event: { case: 'final', value: { finishReason: common.FinishReason.STOP, requestId: request.context?.requestId ?? '', ...accounting(request.model) } } };
    },
    explainRoute: () => ({}),
    listModels: () => ({ models: [], aliases: ['switchyard/auto'] }),
  };
  const server = await startGrpcServer({
    name: 'bench-router',
    address: '127.0.0.1:0',
    errorDomain: 'router.switchyard.dev',
    services: [{ service: router.RouterService, implementation }],
    authenticate: createApiKeyAuthenticator(store),
    logger: createLogger({ service: 'bench-router', level: 'silent' }),
  });
  return { server, apiKey };
}

/** Starts the edge process and resolves with its URL (from its listening line). */
function startEdgeProcess(routerAddress: string, tsconfig: string): Promise<{ url: string; child: ChildProcess; stop(): Promise<void> }> {
  // tsx as a loader in this node process (not its CLI), so `child.pid` is the edge itself and its CPU time can be read.
  const child = spawn(process.execPath, ['--import', 'tsx', 'services/http-edge/src/main.ts'], {
    cwd: repoRoot,
    env: { PATH: process.env['PATH'], TSX_TSCONFIG_PATH: tsconfig, SWITCHYARD_ROUTER__ADDRESS: routerAddress, SWITCHYARD_LISTEN: '127.0.0.1:0', SWITCHYARD_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolveStart, rejectStart) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rejectStart(new Error(`http-edge did not start in 30 s:\n${output.join('\n')}`));
    }, 30_000);
    void exited.then(() => rejectStart(new Error(`http-edge exited before listening:\n${output.join('\n')}`)));
    if (child.stderr) createInterface({ input: child.stderr }).on('line', (line) => output.push(line));
    if (!child.stdout) return rejectStart(new Error('http-edge has no stdout'));
    createInterface({ input: child.stdout }).on('line', (line) => {
      output.push(line);
      if (!line.includes('"event":"listening"')) return;
      clearTimeout(timer);
      resolveStart({ url: (JSON.parse(line) as { address: string }).address, child, stop });
    });
  });
}

async function benchmark(options: Options): Promise<Row[]> {
  const dir = join(repoRoot, 'tmp', `bench-edge-overhead-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const echo = options.router ? undefined : await startEchoRouter();
  const routerAddress = options.router ?? echo?.server.address;
  if (!routerAddress) throw new Error('no router to measure');
  const apiKey = options.apiKey ?? echo?.apiKey;
  if (!apiKey) throw new Error('--api-key is required with --router');
  const edge = await startEdgeProcess(routerAddress, writeWorkspaceTsconfig(repoRoot, dir));
  const rows: Row[] = [];
  const grpc = createRouterClient(routerAddress, { apiKey, timeoutMs: 30_000 });
  const openai = new OpenAI({ baseURL: `${edge.url}/v1`, apiKey, maxRetries: 0, logLevel: 'off' });
  const anthropic = new Anthropic({ baseURL: edge.url, apiKey, maxRetries: 0, logLevel: 'off' });
  const model = options.model;
  const messages = [{ role: common.Role.USER, parts: [{ kind: { case: 'text' as const, value: PROMPT } }] }];
  const direct = {
    unary: async () => void (await grpc.generate({ model, messages, context: { requestId: crypto.randomUUID() } })),
    stream: async (onDelta: () => void) => {
      for await (const event of grpc.streamGenerate({ model, messages, context: { requestId: crypto.randomUUID() } })) if (event.event.case === 'delta') onDelta();
    },
  };
  const viaEdge: Record<Mode, (onDelta: () => void) => Promise<void>> = {
    'openai unary': async () => void (await openai.chat.completions.create({ model, messages: [{ role: 'user', content: PROMPT }] })),
    'openai stream': async (onDelta) => {
      const stream = await openai.chat.completions.create({ model, messages: [{ role: 'user', content: PROMPT }], stream: true, stream_options: { include_usage: true } });
      for await (const chunk of stream) if (chunk.choices[0]?.delta.content) onDelta();
    },
    'anthropic unary': async () => void (await anthropic.messages.create({ model, max_tokens: 256, messages: [{ role: 'user', content: PROMPT }] })),
    'anthropic stream': async (onDelta) => {
      const stream = await anthropic.messages.create({ model, max_tokens: 256, messages: [{ role: 'user', content: PROMPT }], stream: true });
      for await (const event of stream) if (event.type === 'content_block_delta') onDelta();
    },
  };
  try {
    // Warm-up: JIT (the edge's hot paths keep getting re-optimised for the first few hundred
    // requests; too short a warm-up shows up as extra latency in whichever scenario runs first),
    // connections, both SDKs.
    for (let round = 0; round < 2; round++) {
      await measureClosedLoop(300, 4, 10, () => direct.unary());
      await measureClosedLoop(300, 4, 10, (d) => direct.stream(d));
      for (const call of Object.values(viaEdge)) await measureClosedLoop(300, 4, 10, call);
    }
    for (const mode of Object.keys(viaEdge) as Mode[]) {
      for (const concurrency of options.concurrency) {
        const straight = await measureClosedLoop(options.requests, concurrency, options.maxSeconds, (d) => (mode.endsWith('stream') ? direct.stream(d) : direct.unary()));
        const cpuBefore = processCpuMs(edge.child.pid);
        const via = await measureClosedLoop(options.requests, concurrency, options.maxSeconds, viaEdge[mode]);
        const cpuMs = processCpuMs(edge.child.pid) - cpuBefore;
        const row: Row = { mode, concurrency, direct: straight, viaEdge: via, edgeCpuMsPerRequest: cpuMs / Math.max(1, via.requests) };
        rows.push(row);
        console.log(formatRow(row));
      }
    }
  } finally {
    grpc.close();
    await edge.stop();
    await echo?.server.shutdown(500);
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

const ms = (value: number | undefined) => (value === undefined || Number.isNaN(value) ? '–' : value.toFixed(2));

function formatRow(row: Row): string {
  const rate = (m: Measurement) => (m.requests / m.seconds).toFixed(0);
  const cells = [
    row.mode,
    String(row.concurrency),
    `${ms(row.direct.p50)} / ${ms(row.direct.p99)}`,
    `${ms(row.viaEdge.p50)} / ${ms(row.viaEdge.p99)}`,
    `${ms(row.viaEdge.p50 - row.direct.p50)} / ${ms(row.viaEdge.p99 - row.direct.p99)}`,
    row.mode.endsWith('stream') ? `${ms(row.direct.ttftP50)} → ${ms(row.viaEdge.ttftP50)}` : '–',
    `${rate(row.direct)} → ${rate(row.viaEdge)}`,
    ms(row.edgeCpuMsPerRequest),
    String(row.direct.errors + row.viaEdge.errors),
  ];
  return `| ${cells.join(' | ')} |`;
}

function markdown(rows: Row[], options: Options): string {
  return [
    '## HTTP edge overhead',
    '',
    'What the HTTP edge adds per request: the same router called directly with the Switchyard gRPC client, then',
    'through the edge (a separate process) with the official SDKs (openai 6.49 Chat Completions, @anthropic-ai/sdk',
    '1.14 Messages), so the figures include the HTTP hop, JSON/SSE translation and the SDK\'s own parsing — what a',
    `caller switching from the gRPC SDK to an OpenAI/Anthropic SDK pays. Router: ${options.router ? `a running router at ${options.router}` : 'an in-process echo RouterService (real API-key auth, instant fixed reply of 19 words, streamed one word per delta)'}.`,
    '"edge CPU ms/req" is the edge process\'s user+system CPU time divided by the requests it served (from /proc;',
    '10 ms tick resolution over the whole scenario). Produced by `tools/bench/src/edge-overhead.ts`.',
    '',
    `Run: ${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), load ${loadavg()[0]?.toFixed(2)}, ` +
      `${options.requests} requests per scenario (at most ${options.maxSeconds} s), model \`${options.model}\`, Node ${process.version}.`,
    '',
    '| mode | concurrency | gRPC direct p50 / p99 ms | via edge p50 / p99 ms | added p50 / p99 ms | time to first delta p50 ms | req/s direct → via | edge CPU ms/req | errors |',
    '|---|---|---|---|---|---|---|---|---|',
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
  const unary = serial.filter((r) => r.mode.endsWith('unary'));
  const stream = serial.filter((r) => r.mode.endsWith('stream'));
  return [
    `At concurrency ${serial[0]?.concurrency ?? 1}, the edge added ${range(unary.map((r) => r.viaEdge.p50 - r.direct.p50))} ms to the median unary call`,
    `(${range(unary.map((r) => r.viaEdge.p99 - r.direct.p99))} ms at p99) and ${range(stream.map((r) => (r.viaEdge.ttftP50 ?? NaN) - (r.direct.ttftP50 ?? NaN)))} ms to the median time to first delta;`,
    `the edge process spent ${range(rows.map((r) => r.edgeCpuMsPerRequest))} ms of CPU per request. Deltas are written as they arrive`,
    '(no buffering), so a stream pays the hop once plus a small per-delta encoding cost. On 2 cores the load',
    'generator (with both SDKs), the echo router and the edge share the CPU, so the high-concurrency rows show',
    'contention more than edge cost; compare rows of one run (the load average above says how busy the machine was).',
  ];
}

async function main(): Promise<void> {
  const program = new Command('edge-overhead')
    .option('--requests <n>', 'requests per scenario', (v) => Number(v), 1000)
    .option('--concurrency <list>', 'comma-separated concurrencies', (v) => v.split(',').map(Number), [1, 16])
    .option('--max-seconds <s>', 'time limit per scenario', (v) => Number(v), 15)
    .option('--router <address>', 'measure against a running router (host:port) instead of the echo router')
    .option('--api-key <key>', 'team API key for --router')
    .option('--model <model>', 'the model field of every request', 'switchyard/auto')
    .option('--no-write', 'print only; do not update docs/benchmarks.md')
    .parse(process.argv);
  const options = program.opts<Options>();
  const rows = await benchmark(options);
  const section = markdown(rows, options);
  console.log(`\n${section}`);
  if (options.write) console.log(`\nwrote ${writeBenchmarkSection('## HTTP edge overhead', section)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
