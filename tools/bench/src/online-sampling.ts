/**
 * Benchmark: online sampling must not slow live traffic. Live requests go through a ProviderService
 * to a fake upstream; with sampling on, 10% of exchanges are handed to the real evaluator (its own
 * process) fire-and-forget, exactly as the router does it (see `createOnlineSampler` below and
 * docs/evaluator.md). Blocks with sampling off and on alternate; the report compares live latency
 * and checks that about 10% were scored. Writes its section of docs/benchmarks.md (`--no-write` to only print).
 *
 *   node_modules/.bin/tsx tools/bench/src/online-sampling.ts [--requests 4000] [--concurrency 8] [--rate 0.1]
 */
import { cpus, loadavg } from 'node:os';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { Command } from 'commander';
import { common, evaluator } from '@switchyard/contracts';
import { chatMessage, createProviderClient, messageText, type EvaluatorServiceClient } from '@switchyard/sdk';
import { startFakeOpenAI, type FakeChatRequest } from '@switchyard/testing';
import { createLongCallEvaluatorClient, quantile, startEvaluatorProcess, startForwardingProvider } from './evaluator-harness';
import { writeBenchmarkSection } from './benchmarks-doc';

/** Options for createOnlineSampler. */
export interface OnlineSamplerOptions {
  client: EvaluatorServiceClient;
  /** Share of exchanges submitted, in [0, 1]. */
  rate: number;
  /** Submissions in flight at most; beyond it a sampled exchange is skipped, never queued in the live process. */
  maxInFlight?: number;
  /** Deadline of one SubmitExchange call, ms. */
  timeoutMs?: number;
  random?: () => number;
}

/**
 * The router side of online sampling: a coin flip per exchange, and a SubmitExchange call nobody
 * waits for. Call it after the reply went to the caller, only for teams whose policy allows content capture.
 */
export function createOnlineSampler(options: OnlineSamplerOptions) {
  const random = options.random ?? Math.random;
  const stats = { sampled: 0, skipped: 0, accepted: 0, refused: 0, failed: 0, inFlight: 0 };
  const idle: Array<() => void> = [];
  return {
    stats,
    /** Maybe submits; returns at once either way. */
    maybeSubmit(exchange: MessageInitShape<typeof evaluator.SubmitExchangeRequestSchema>): boolean {
      if (random() >= options.rate) return false;
      if (stats.inFlight >= (options.maxInFlight ?? 64)) {
        stats.skipped++;
        return false;
      }
      stats.sampled++;
      stats.inFlight++;
      options.client
        .submitExchange(exchange, { timeoutMs: options.timeoutMs ?? 2000 })
        .then((response) => (response.accepted ? stats.accepted++ : stats.refused++))
        .catch(() => stats.failed++)
        .finally(() => {
          stats.inFlight--;
          if (stats.inFlight === 0) for (const resolve of idle.splice(0)) resolve();
        });
      return true;
    },
    /** Resolves when no submission is in flight. */
    settled: () => new Promise<void>((resolve) => (stats.inFlight === 0 ? resolve() : idle.push(resolve))),
  };
}

interface Options {
  requests: number;
  concurrency: number;
  rate: number;
  upstreamLatency: number;
  write: boolean;
}

/** The judge's reply: a fixed grade, so scoring cost is the evaluator's own. */
function judgeReply(request: FakeChatRequest): { text: string } | undefined {
  return request.messages.some((m) => m.role === 'system' && m.text.includes('impartial grader')) ? { text: '{"score": 8, "reason": "Fine."}' } : undefined;
}

async function main(): Promise<void> {
  const options = new Command()
    .option('--requests <n>', 'live requests in all (half with sampling on)', (v) => Number(v), 4000)
    .option('--concurrency <n>', 'live requests in flight', (v) => Number(v), 8)
    .option('--rate <x>', 'sampling rate', (v) => Number(v), 0.1)
    .option('--upstream-latency <ms>', "the fake model's latency", (v) => Number(v), 20)
    .option('--no-write', 'print only; do not update docs/benchmarks.md')
    .parse()
    .opts<Options>();

  const fake = await startFakeOpenAI({ respond: judgeReply, latencyMs: options.upstreamLatency });
  const provider = await startForwardingProvider({ baseURL: fake.baseURL, apiKey: fake.apiKey });
  const evaluatorProcess = await startEvaluatorProcess({
    SWITCHYARD_MODELS__PROVIDERS__OPENAI: provider.address,
    SWITCHYARD_JUDGE__MODEL: 'openai/gpt-4o',
    SWITCHYARD_ONLINE__METHOD: 'judge',
    SWITCHYARD_ONLINE__QUEUE_CAPACITY: '10000',
  });
  const live = createProviderClient(provider.address);
  const evaluatorClient = createLongCallEvaluatorClient(evaluatorProcess.address);
  const sampler = createOnlineSampler({ client: evaluatorClient, rate: options.rate });
  const latencies: Record<'off' | 'on', number[]> = { off: [], on: [] };
  let liveErrors = 0;
  let sequence = 0;

  const block = async (mode: 'off' | 'on', count: number) => {
    let next = 0;
    const worker = async () => {
      while (next < count) {
        next++;
        const id = `bench-${sequence++}`;
        const started = performance.now();
        try {
          const question = chatMessage('user', `live question ${id}`);
          const response = await live.generate({ model: 'gpt-4o-mini', messages: [question], requestId: id });
          // The live path ends once the sampling decision (and, when sampled, the non-awaited call) is made.
          if (mode === 'on') {
            sampler.maybeSubmit({
              requestId: id,
              teamId: 'bench',
              model: { provider: 'openai', model: 'gpt-4o-mini' },
              classification: { taskClass: common.TaskClass.CHAT },
              messages: [question],
              reply: chatMessage('assistant', messageText(response.message)),
            });
          }
          latencies[mode].push(performance.now() - started);
        } catch {
          liveErrors++;
        }
      }
    };
    await Promise.all(Array.from({ length: options.concurrency }, worker));
  };

  try {
    // Warm-up, then alternating blocks so drift in machine load hits both modes alike.
    await block('off', 200);
    latencies.off.length = 0;
    const per = Math.floor(options.requests / 8);
    for (let round = 0; round < 4; round++) {
      await block('off', per);
      await block('on', per);
    }
    await sampler.settled();
    // Wait (bounded) until the evaluator scored everything it accepted.
    let scored = 0n;
    const until = Date.now() + 120_000;
    while (Date.now() < until) {
      const { scores } = await evaluatorClient.getQualityScores({ models: ['openai/gpt-4o-mini'] });
      scored = scores.reduce((sum, score) => sum + score.sampleCount, 0n);
      if (scored >= BigInt(sampler.stats.accepted)) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }

    const summary = (values: number[]) => {
      const sorted = [...values].sort((a, b) => a - b);
      return { p50: quantile(sorted, 0.5), p95: quantile(sorted, 0.95), p99: quantile(sorted, 0.99), mean: values.reduce((a, b) => a + b, 0) / values.length };
    };
    const off = summary(latencies.off);
    const on = summary(latencies.on);
    const f = (x: number) => x.toFixed(2);
    const onCount = latencies.on.length;
    const lines = [
      '## Online sampling',
      '',
      'Live requests (a ProviderService over a fake upstream answering in ' +
        `${options.upstreamLatency} ms) with online sampling off and at ${options.rate * 100}%: sampled exchanges go to the real`,
      'evaluator (its own process) with a SubmitExchange call nobody waits for, as the router does; the evaluator judges',
      'them in the background. Blocks with sampling off and on alternate. Live latency runs from the request to the',
      'sampling decision after the reply. Produced by `tools/bench/src/online-sampling.ts`.',
      '',
      `Run: ${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, load ${loadavg()[0]!.toFixed(2)}, concurrency ${options.concurrency}, Node ${process.version}.`,
      '',
      '| sampling | live requests | p50 ms | p95 ms | p99 ms | mean ms |',
      '|---|---|---|---|---|---|',
      `| off | ${latencies.off.length} | ${f(off.p50)} | ${f(off.p95)} | ${f(off.p99)} | ${f(off.mean)} |`,
      `| ${options.rate * 100}% | ${onCount} | ${f(on.p50)} | ${f(on.p95)} | ${f(on.p99)} | ${f(on.mean)} |`,
      '',
      `Sampled ${sampler.stats.sampled} of ${onCount} live requests (${((100 * sampler.stats.sampled) / onCount).toFixed(1)}%); the evaluator accepted ` +
        `${sampler.stats.accepted}, refused ${sampler.stats.refused}, ${sampler.stats.failed} calls failed, ${sampler.stats.skipped} were skipped for too many in flight; ` +
        `${scored} were scored into the quality scores. Median live latency changed by ${f(on.p50 - off.p50)} ms (p99 ${f(on.p99 - off.p99)} ms); live errors: ${liveErrors}.`,
    ];
    const section = lines.join('\n');
    console.log(`\n${section}`);
    if (options.write) console.log(`\nwrote ${writeBenchmarkSection('## Online sampling', section)}`);
  } finally {
    live.close();
    evaluatorClient.close();
    await evaluatorProcess.stop();
    await provider.shutdown(100);
    await fake.close();
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
