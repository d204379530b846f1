import { chatMessage, createRouterClient, SwitchyardError, type RouterServiceClient } from '@switchyard/sdk';

/** A realistic mix of what a product's backend sends: small talk, extraction, code, math, long reasoning, safety-sensitive. */
export const demoPrompts: readonly { prompt: string; project: string; tag: string }[] = [
  { prompt: 'Say hello to a new user in one friendly sentence.', project: 'onboarding', tag: 'feature:greeting' },
  { prompt: 'What is the capital of Portugal?', project: 'search', tag: 'feature:answers' },
  { prompt: 'Extract the name and email from: "Contact Jane Roe at jane.roe@example.com about the invoice."', project: 'crm', tag: 'feature:extraction' },
  { prompt: 'Summarize in two sentences: The meeting moved from Tuesday to Thursday because the venue flooded; catering is unchanged.', project: 'notes', tag: 'feature:summaries' },
  { prompt: 'Translate "Where is the train station?" into Spanish.', project: 'travel', tag: 'feature:translate' },
  { prompt: 'Write a haiku about autumn rain.', project: 'marketing', tag: 'feature:copy' },
  {
    prompt:
      'Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. How many clips did Natalia sell altogether in April and May? Think step by step.',
    project: 'tutor',
    tag: 'feature:math',
  },
  {
    prompt:
      'A train leaves at 9:40 and travels 312 km at an average of 78 km/h, then waits 25 minutes and covers another 96 km at 64 km/h. At what time does it arrive? Show each step and check the arithmetic.',
    project: 'tutor',
    tag: 'feature:math',
  },
  {
    prompt:
      'Write a TypeScript function that merges overlapping intervals in O(n log n), with tests for edge cases (empty input, nested and touching intervals), and explain the invariant that makes it correct.',
    project: 'devtools',
    tag: 'feature:code',
  },
  {
    prompt:
      'Prove that the square root of 2 is irrational, then generalize the argument to the square root of any prime, and point out exactly which step fails for 4.',
    project: 'tutor',
    tag: 'feature:math',
  },
  { prompt: 'I have had chest pain and numbness in my left arm for an hour. What should I do?', project: 'health', tag: 'feature:triage' },
  { prompt: 'My dosage of warfarin was doubled by mistake yesterday; is it dangerous?', project: 'health', tag: 'feature:triage' },
  { prompt: 'List three synonyms for "quick".', project: 'search', tag: 'feature:answers' },
  { prompt: 'Classify the sentiment of: "The update broke my workflow again." Answer positive, negative or neutral.', project: 'support', tag: 'feature:triage' },
];

/** What a demo run measured. */
export interface DemoSummary {
  requests: number;
  succeeded: number;
  failed: Record<string, number>;
  routingMix: Record<string, number>;
  rules: Record<string, number>;
  latencyMs: { p50: number; p99: number };
  costNanosUsd: bigint;
  baselineNanosUsd: bigint;
  savedNanosUsd: bigint;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Options for runDemo. */
export interface DemoOptions {
  router: string | RouterServiceClient;
  apiKey?: string;
  requests: number;
  concurrency?: number;
  /** Called after each request with (done, total). */
  onProgress?: (done: number, total: number) => void;
}

/** Sends `requests` prompts from the demo mix through the router (bounded concurrency) and summarizes. */
export async function runDemo(options: DemoOptions): Promise<DemoSummary> {
  const client = typeof options.router === 'string' ? createRouterClient(options.router, { apiKey: options.apiKey }) : options.router;
  const summary: DemoSummary = {
    requests: options.requests,
    succeeded: 0,
    failed: {},
    routingMix: {},
    rules: {},
    latencyMs: { p50: 0, p99: 0 },
    costNanosUsd: 0n,
    baselineNanosUsd: 0n,
    savedNanosUsd: 0n,
  };
  const latencies: number[] = [];
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < options.requests) {
      const item = demoPrompts[next++ % demoPrompts.length]!;
      const started = performance.now();
      try {
        const reply = await client.generate(
          { messages: [chatMessage('user', item.prompt)], context: { project: item.project, featureTags: [item.tag] } },
          { timeoutMs: 30_000 },
        );
        latencies.push(performance.now() - started);
        summary.succeeded++;
        const chosen = `${reply.route?.chosen?.provider}/${reply.route?.chosen?.model}`;
        summary.routingMix[chosen] = (summary.routingMix[chosen] ?? 0) + 1;
        const rule = reply.route?.rule ?? 'unknown';
        summary.rules[rule] = (summary.rules[rule] ?? 0) + 1;
        summary.costNanosUsd += reply.cost?.nanosUsd ?? 0n;
        summary.baselineNanosUsd += reply.cost?.baselineNanosUsd ?? 0n;
      } catch (error) {
        const code = error instanceof SwitchyardError ? error.codeName : 'CLIENT_ERROR';
        summary.failed[code] = (summary.failed[code] ?? 0) + 1;
      }
      options.onProgress?.(++done, options.requests);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 8, options.requests)) }, worker));
  } finally {
    if (typeof options.router === 'string') client.close();
  }
  latencies.sort((a, b) => a - b);
  summary.latencyMs = { p50: Math.round(percentile(latencies, 50) * 10) / 10, p99: Math.round(percentile(latencies, 99) * 10) / 10 };
  summary.savedNanosUsd = summary.baselineNanosUsd - summary.costNanosUsd;
  return summary;
}
