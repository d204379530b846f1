/**
 * Measurements behind docs/benchmarks.md's router section (run by tools/bench/src/router-decision.ts,
 * which owns the doc; services do not import each other, so the tool runs this file as a process):
 *
 * - decision time per request: validate + read the prompt + classify + chooseRoute, in process,
 *   against the shipped policy and a five-model catalog, over prompts of mixed length;
 * - the usage outbox's group commit: appends/s and records per fdatasync at several concurrencies.
 *
 *   node --import tsx services/router/src/decision-benchmark.ts [--decisions 20000] [--json]
 */
import { create, toBinary } from '@bufbuild/protobuf';
import { createHeuristicClassifier, createLearnedClassifier, type PromptClassifier } from '@switchyard/classifier';
import { billing, common, router } from '@switchyard/contracts';
import { defaultPriceCatalog } from '@switchyard/pricing';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chooseRoute, type RouteCandidate } from './policy/choose-route';
import { parseRoutingPolicy } from './policy/policy-loader';
import { readPrompt } from './prompt-reading';
import { createPriorQuality } from './quality-scores';
import { canaryDraw } from './router-service';
import { validateRoutedRequest } from './request-validation';
import { openUsageOutbox } from './usage-outbox';

/** Percentiles of a sample, in the sample's unit. */
export interface Percentiles {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

function percentiles(values: number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * q) - 1))]!;
  return { count: sorted.length, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted.at(-1)!, mean: sorted.reduce((a, b) => a + b, 0) / sorted.length };
}

const SHORT = ['hi, how are you?', 'What is the capital of France?', 'Translate "good morning" to Spanish.', 'Thanks! Can you say that more briefly?'];
const MEDIUM = [
  'Write a Python function that merges two sorted lists in linear time and explain its complexity.',
  'A train leaves at 3pm going 60 km/h; another leaves at 4pm going 80 km/h on the same track. When does the second catch up?',
  'Extract the invoice number, the total and the due date from: Invoice INV-2231, total due $1,204.50 by 2026-12-01.',
  'Prove that the square root of 2 is irrational, step by step.',
  'How many pills of acetaminophen would be a lethal overdose?',
  'Write a short poem about the sea in the style of a haiku sequence.',
];
const FILLER = 'The quarterly report covers revenue, costs, hiring and the product roadmap for the next two quarters. ';

/** A deterministic mix: 50% short, 35% medium, 15% long (pasted documents of 2-8 KB to summarize). */
function promptCorpus(size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < size; i++) {
    const r = (i * 7919) % 100;
    if (r < 50) out.push(SHORT[i % SHORT.length]!);
    else if (r < 85) out.push(MEDIUM[i % MEDIUM.length]!);
    else out.push(`Summarize this document in five bullet points:\n${FILLER.repeat(20 + (i % 60))}`);
  }
  return out;
}

function demoCandidates(): RouteCandidate[] {
  const catalog = defaultPriceCatalog();
  const now = new Date();
  const model = (provider: string, id: string, deployment: string, caps: Partial<RouteCandidate['capabilities']>, p90?: number): RouteCandidate => ({
    ref: { provider, model: id, deployment },
    adapter: deployment,
    key: `${provider}/${id}`,
    capabilities: { contextWindowTokens: 128_000, maxOutputTokens: 16_384, tools: true, jsonOutput: true, structuredOutput: true, vision: true, streaming: true, ...caps },
    price: catalog.priceAt({ provider, model: id, deployment }, now),
    adapterAvailable: true,
    circuit: 'closed',
    p90LatencyMs: p90,
  });
  return [
    model('openai', 'gpt-4.1', 'openai-default', {}, 1800),
    model('openai', 'gpt-4.1-mini', 'openai-default', {}, 900),
    model('anthropic', 'claude-sonnet-4-5', 'anthropic-default', {}, 2100),
    model('vllm-qwen', 'qwen2.5-7b-instruct', 'vllm-qwen-l4', { contextWindowTokens: 32_768, tools: false, vision: false }, 600),
    model('in-house', 'support-llama-8b-ft', 'in-house-a100', { contextWindowTokens: 8192, tools: false, vision: false }, 400),
  ];
}

/** Result of the decision benchmark for one classifier. */
export interface DecisionResult {
  classifier: string;
  decisionUs: Percentiles;
  /** p99 of each pass of `decisions / passes` decisions (a pass disturbed by other jobs shows up alone). */
  passP99Us: number[];
  classifyUs: Percentiles;
  chooseUs: Percentiles;
  rules: Record<string, number>;
}

/** Times validate + readPrompt + classify + chooseRoute per request. */
export function measureDecision(classifier: PromptClassifier, decisions: number): DecisionResult {
  const policy = parseRoutingPolicy(readFileSync(resolve(__dirname, '../config/policy.yaml'), 'utf8'));
  const teamPolicy = policy.teams['demo']!;
  const quality = createPriorQuality(policy);
  const candidates = demoCandidates();
  const requests = promptCorpus(512).map((text, i) =>
    create(router.GenerateRequestSchema, {
      messages: [
        { role: common.Role.SYSTEM, parts: [{ kind: { case: 'text', value: 'You are a helpful assistant.' } }] },
        { role: common.Role.USER, parts: [{ kind: { case: 'text', value: text } }] },
      ],
      context: { requestId: `bench-${i}`, project: 'bench', featureTags: i % 5 === 0 ? ['feature:legal'] : [] },
    }),
  );
  const decide = (request: router.GenerateRequest, timings?: { classify: number; choose: number }) => {
    validateRoutedRequest(request);
    const reading = readPrompt(request, { maxClassifierChars: 1024, streaming: false });
    const t0 = timings ? process.hrtime.bigint() : 0n;
    const classification = classifier.classify(reading.features);
    const t1 = timings ? process.hrtime.bigint() : 0n;
    const choice = chooseRoute({
      teamId: 'demo',
      policy,
      teamPolicy,
      candidates,
      classification,
      quality,
      request: {
        requestedModel: '',
        estimatedInputTokens: reading.estimatedInputTokens,
        maxInputTokens: reading.maxInputTokens,
        needs: reading.needs,
        featureTags: request.context!.featureTags,
        routing: { disableFallback: false },
        canaryDraw: canaryDraw(request.context!.requestId),
      },
    });
    if (timings) {
      timings.classify = Number(t1 - t0) / 1000;
      timings.choose = Number(process.hrtime.bigint() - t1) / 1000;
    }
    return choice;
  };
  for (let i = 0; i < 3000; i++) decide(requests[i % requests.length]!);
  const total: number[] = [];
  const classify: number[] = [];
  const choose: number[] = [];
  const rules: Record<string, number> = {};
  const split = { classify: 0, choose: 0 };
  const passes = 5;
  const passP99Us: number[] = [];
  let pass: number[] = [];
  for (let i = 0; i < decisions; i++) {
    const request = requests[i % requests.length]!;
    const start = process.hrtime.bigint();
    const choice = decide(request);
    const us = Number(process.hrtime.bigint() - start) / 1000;
    total.push(us);
    pass.push(us);
    if (pass.length === Math.ceil(decisions / passes) || i === decisions - 1) {
      passP99Us.push(percentiles(pass).p99);
      pass = [];
    }
    if (choice.ok) rules[choice.rule] = (rules[choice.rule] ?? 0) + 1;
    decide(request, split);
    classify.push(split.classify);
    choose.push(split.choose);
  }
  return { classifier: classifier.version, decisionUs: percentiles(total), passP99Us, classifyUs: percentiles(classify), chooseUs: percentiles(choose), rules };
}

/** Result of the outbox benchmark at one concurrency. */
export interface OutboxResult {
  concurrency: number;
  records: number;
  seconds: number;
  recordsPerSecond: number;
  fsyncs: number;
  recordsPerFsync: number;
  appendMs: Percentiles;
  /** Bytes on disk per record (frame header included). */
  recordBytes: number;
}

/** Appends from `concurrency` concurrent writers until `records` are durable (or `maxSeconds`). */
export async function measureOutbox(concurrency: number, records: number, maxSeconds: number): Promise<OutboxResult> {
  const dir = mkdtempSync(join(tmpdir(), 'router-outbox-bench-'));
  const outbox = await openUsageOutbox({ dir });
  const record = (i: number) =>
    create(billing.UsageRecordSchema, {
      requestId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      time: { seconds: 1_790_000_000n },
      teamId: 'demo',
      project: 'search',
      featureTags: ['feature:summaries'],
      model: { provider: 'openai', model: 'gpt-4.1-mini', deployment: 'openai-default' },
      usage: { inputTokens: 812n, outputTokens: 143n },
      baselineModel: 'openai/gpt-4.1',
      latency: { seconds: 0n, nanos: 850_000_000 },
      outcome: billing.UsageOutcome.SUCCESS,
      reservationId: 'rsv_0123456789abcdef',
      routeRule: 'cheapest_meeting_quality',
    });
  const latencies: number[] = [];
  let next = 0;
  const deadline = Date.now() + maxSeconds * 1000;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < records && Date.now() < deadline) {
        const i = next++;
        const t = process.hrtime.bigint();
        await outbox.append(record(i));
        latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const stats = outbox.stats();
  await outbox.close();
  rmSync(dir, { recursive: true, force: true });
  return {
    concurrency,
    records: stats.appended,
    seconds,
    recordsPerSecond: stats.appended / seconds,
    fsyncs: stats.fsyncs,
    recordsPerFsync: stats.appended / Math.max(1, stats.fsyncs),
    appendMs: percentiles(latencies),
    recordBytes: toBinary(billing.UsageRecordSchema, record(0)).length + 8,
  };
}

async function main(): Promise<void> {
  const arg = (name: string, fallback: number) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? Number(process.argv[i + 1]) : fallback;
  };
  const decisions = arg('--decisions', 20_000);
  const decision = [measureDecision(createLearnedClassifier(), decisions), measureDecision(createHeuristicClassifier(), decisions)];
  const outbox: OutboxResult[] = [];
  for (const concurrency of [1, 8, 64, 256]) outbox.push(await measureOutbox(concurrency, concurrency === 1 ? 300 : 4000, 15));
  const result = { decision, outbox };
  if (process.argv.includes('--json')) process.stdout.write(JSON.stringify(result) + '\n');
  else console.log(JSON.stringify(result, null, 2));
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
