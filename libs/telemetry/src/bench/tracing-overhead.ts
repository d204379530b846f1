// Benchmark (a tool, not a test): what tracing costs on the request path. It runs the same router →
// adapter → fake upstream path (the cross-process test's fixtures, real processes) in three modes —
// telemetry off (OTEL_SDK_DISABLED), spans made but not exported, spans exported over OTLP — and
// prints throughput, client latency and CPU per request of the two services, then writes its
// section of docs/benchmarks.md. Run: `npm run bench -w @switchyard/telemetry`.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { chatMessage, createRouterClient, type RouterServiceClient } from '@switchyard/sdk';
import { startFakeChatUpstream } from '../testing/fake-chat-upstream';
import { REPO_ROOT, startFixtureProcess, type FixtureProcess } from '../testing/fixture-process';
import { startOtlpReceiver } from '../testing/otlp-receiver';
import { withTrustedBaggage } from '../attribution';
import { startTelemetry } from '../bootstrap';
import { setGenAiResponseAttributes, withGenAiSpan, withSpan } from '../spans';

const TOTAL = Number(process.argv[2] ?? 3000);
const CONCURRENCY = 16;
const WARMUP = 300;
const ROUNDS = 3;
const MAX_SECONDS_PER_RUN = 60;
const FIXTURES = join(__dirname, '../testing/fixtures');
const CLOCK_TICKS_PER_SECOND = 100;

type Mode = 'off' | 'spans, not exported' | 'spans exported (OTLP http/protobuf)';
const MODES: Mode[] = ['off', 'spans, not exported', 'spans exported (OTLP http/protobuf)'];

interface RunResult {
  mode: Mode;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  cpuMsPerRequest: number;
  errors: number;
}

function cpuMs(pid: number): number {
  // utime + stime, fields 14 and 15 of /proc/<pid>/stat, counted after the ")" that ends the command name.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function load(client: RouterServiceClient, total: number): Promise<{ latencies: number[]; seconds: number; errors: number }> {
  const latencies: number[] = [];
  let issued = 0;
  let errors = 0;
  const started = performance.now();
  const deadline = started + MAX_SECONDS_PER_RUN * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (issued < total && performance.now() < deadline) {
        issued++;
        const t0 = performance.now();
        try {
          await client.generate({ model: 'gpt-4o-mini', messages: [chatMessage('user', 'How many legs does a spider have?')], context: { project: 'bench' } });
        } catch {
          errors++;
        }
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return { latencies, seconds: (performance.now() - started) / 1000, errors };
}

async function runMode(mode: Mode, upstreamUrl: string, receiverUrl: string): Promise<RunResult> {
  const telemetryEnv: Record<string, string> =
    mode === 'off' ? { OTEL_SDK_DISABLED: 'true' } : mode === 'spans, not exported' ? {} : { OTEL_EXPORTER_OTLP_ENDPOINT: receiverUrl, OTEL_METRICS_EXPORTER: 'none' };
  const base = { ...telemetryEnv, FIXTURE_LOG_LEVEL: 'warn', OTEL_LOG_LEVEL: 'error' };
  const processes: FixtureProcess[] = [];
  try {
    const adapter = await startFixtureProcess(join(FIXTURES, 'fixture-adapter.ts'), { ...base, OTEL_SERVICE_NAME: 'bench-adapter', FIXTURE_UPSTREAM_URL: upstreamUrl });
    processes.push(adapter);
    const router = await startFixtureProcess(join(FIXTURES, 'fixture-router.ts'), { ...base, OTEL_SERVICE_NAME: 'bench-router', FIXTURE_ADAPTER_ADDRESS: adapter.ready.address });
    processes.push(router);
    const client = createRouterClient(router.ready.address, { apiKey: 'sk-team-a', timeoutMs: 10_000 });
    try {
      await load(client, WARMUP);
      const cpuBefore = cpuMs(router.pid) + cpuMs(adapter.pid);
      const { latencies, seconds, errors } = await load(client, TOTAL);
      const cpuAfter = cpuMs(router.pid) + cpuMs(adapter.pid);
      const sorted = latencies.sort((a, b) => a - b);
      return {
        mode,
        requestsPerSecond: latencies.length / seconds,
        p50Ms: percentile(sorted, 50),
        p99Ms: percentile(sorted, 99),
        cpuMsPerRequest: (cpuAfter - cpuBefore) / latencies.length,
        errors,
      };
    } finally {
      client.close();
    }
  } finally {
    await Promise.all(processes.map((p) => p.stop()));
  }
}

// The span work alone, in this process: the same 9 spans and the baggage of one request, no I/O.
async function spanWorkMicros(disabled: boolean): Promise<number> {
  const telemetry = startTelemetry({ serviceName: 'bench-micro', env: disabled ? { OTEL_SDK_DISABLED: 'true' } : {}, autoInstrument: false });
  const hop = (name: string, inner: () => Promise<void>) => withSpan(name, {}, inner);
  const request = () =>
    withSpan('server', {}, () =>
      withTrustedBaggage({ team: 'team-a', project: 'bench' }, async () => {
        withSpan('route.decide', { rule: 'pinned' }, () => undefined);
        await hop('budget.reserve', async () => undefined);
        await withGenAiSpan({ provider: 'openai', model: 'gpt-4o-mini' }, async (span) => {
          await hop('grpc client', () => hop('adapter server', () => hop('adapter chat', () => hop('POST', async () => undefined))));
          setGenAiResponseAttributes(span, { usage: { inputTokens: 12n, outputTokens: 30n } }, { nanosUsd: 4500n, priceVersion: 'v' });
        });
        await hop('budget.settle', async () => undefined);
      }),
    );
  try {
    for (let i = 0; i < 5000; i++) await request();
    const iterations = 20_000;
    const before = process.cpuUsage();
    for (let i = 0; i < iterations; i++) await request();
    const used = process.cpuUsage(before);
    return (used.user + used.system) / iterations;
  } finally {
    await telemetry.shutdown();
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main() {
  const loadBefore = loadavg()[0];
  const upstream = await startFakeChatUpstream();
  const receiver = await startOtlpReceiver({ decode: false });
  const results: RunResult[] = [];
  try {
    // Modes are interleaved round by round so that drift on a shared machine hits all of them alike.
    for (let round = 1; round <= ROUNDS; round++) {
      for (const mode of MODES) {
        const result = await runMode(mode, upstream.baseURL, receiver.url);
        results.push(result);
        process.stdout.write(
          `round ${round} ${mode.padEnd(38)} ${result.requestsPerSecond.toFixed(0).padStart(6)} req/s  p50 ${result.p50Ms.toFixed(2)} ms  p99 ${result.p99Ms.toFixed(2)} ms  CPU ${result.cpuMsPerRequest.toFixed(3)} ms/req  errors ${result.errors}\n`,
        );
      }
    }
  } finally {
    await receiver.close();
    await upstream.close();
  }

  const summary = MODES.map((mode) => {
    const runs = results.filter((r) => r.mode === mode);
    return {
      mode,
      rps: median(runs.map((r) => r.requestsPerSecond)),
      p50: median(runs.map((r) => r.p50Ms)),
      p99: median(runs.map((r) => r.p99Ms)),
      cpu: median(runs.map((r) => r.cpuMsPerRequest)),
      errors: runs.reduce((sum, r) => sum + r.errors, 0),
    };
  });
  const loadAfter = loadavg()[0];
  const microOff = await spanWorkMicros(true);
  const microOn = await spanWorkMicros(false);
  process.stdout.write(`span work alone: ${microOff.toFixed(1)} µs off, ${microOn.toFixed(1)} µs on per request\n`);
  const off = summary[0];
  const percent = (value: number, reference: number) => `${value >= reference ? '+' : ''}${(((value - reference) / reference) * 100).toFixed(1)} %`;
  const rows = summary.map(
    (s) =>
      `| ${s.mode} | ${s.rps.toFixed(0)} | ${s.p50.toFixed(2)} | ${s.p99.toFixed(2)} | ${s.cpu.toFixed(3)} | ${s === off ? '—' : percent(s.cpu, off.cpu)} | ${s.errors} |`,
  );
  const section = [
    '## Tracing overhead (request path)',
    '',
    `Router → adapter → fake OpenAI-style upstream, each service a real process started the way a service's`,
    `main.ts starts (\`@switchyard/telemetry/register\` first), ${TOTAL} unary Generate calls per run at ${CONCURRENCY} in flight`,
    `after ${WARMUP} warm-up calls; median of ${ROUNDS} interleaved rounds. CPU is user+system time of the router and the adapter`,
    `together per request (from /proc), the fairest measure on a shared ${cpus().length}-core machine where the client, the fake`,
    `upstream and the OTLP sink compete for the same cores (1-minute load average ${loadBefore.toFixed(1)} at the start, ${loadAfter.toFixed(1)} at the end:`,
    `throughput and latency swing with other work on the machine; CPU per request is the stable figure).`,
    `Each traced request makes 9 spans: 6 in the router, 3 in the adapter.`,
    `Reproduce: \`npm run bench -w @switchyard/telemetry\` (optional argument: calls per run).`,
    '',
    '| mode | req/s | p50 ms | p99 ms | CPU ms/req | CPU vs off | errors |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
    '- **off**: `OTEL_SDK_DISABLED=true` — no SDK; the span helpers run against the no-op API.',
    '- **spans, not exported**: the default with no collector configured — spans are made (trace ids reach logs and responses) and dropped.',
    '- **spans exported**: `OTEL_EXPORTER_OTLP_ENDPOINT` set — batched OTLP http/protobuf to a local sink that discards the body.',
    '',
    `Where it goes: the span work itself (the same 9 spans, attributes and baggage, in one process with no I/O) costs`,
    `${(microOn - microOff).toFixed(0)} µs of CPU per request (${microOff.toFixed(1)} µs off, ${microOn.toFixed(1)} µs on). The rest of the difference`,
    `is, by elimination (not profiled), the cost of carrying context at all: AsyncLocalStorage (on Node 20 built on async_hooks, which taxes every promise`,
    `in grpc-js and fetch) and the gRPC/undici instrumentation wrapping each call and carrying traceparent/baggage.`,
    `Exporting adds ${(summary[2].cpu - summary[1].cpu).toFixed(2)} ms of CPU per request on top: the batch processor serialises and sends`,
    `off the request path, but on the same cores. Sampling (\`OTEL_TRACES_SAMPLER=parentbased_traceidratio\`) saves export`,
    `work for the requests it drops, not the base cost (unsampled spans still carry context); \`OTEL_SDK_DISABLED=true\` removes both.`,
    '',
  ].join('\n');
  process.stdout.write(`\n${section}\n`);
  writeSection(section);
}

function writeSection(section: string) {
  const file = join(REPO_ROOT, 'docs/benchmarks.md');
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const heading = '## Tracing overhead (request path)';
  const start = current.indexOf(heading);
  let next: string;
  if (start < 0) next = `${current.trimEnd()}\n\n${section}`;
  else {
    const end = current.indexOf('\n## ', start + heading.length);
    next = `${current.slice(0, start)}${section}${end < 0 ? '' : `\n${current.slice(end + 1)}`}`;
  }
  writeFileSync(file, next.endsWith('\n') ? next : `${next}\n`);
  process.stdout.write(`wrote ${file}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`benchmark failed: ${String(error)}\n`);
  process.exit(1);
});
