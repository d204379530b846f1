import type { common } from '@switchyard/contracts';
import { createProviderClient } from '@switchyard/sdk';
import { CONFORMANCE_CASES, type ConformanceCase } from './conformance-cases';
import { summarizeConformance, type ConformanceCaseResult, type ConformanceReport } from './conformance-report';
import type { FakeControl } from './fake-control';

/** Options of {@link runConformance}. */
export interface ConformanceOptions {
  /** The adapter under test, `host:port`. */
  target: string;
  /**
   * The fake upstream the adapter points at. Fault, deadline and cancel cases script it; without
   * one they are reported as `skip` (and the run does not pass) unless `faults: false`.
   */
  fake?: FakeControl;
  /** Set false to leave out the cases that need a fake (e.g. against a real upstream). Default true. */
  faults?: boolean;
  /** The model to exercise; default the first one ListModels returns. */
  model?: string;
  /** The caller's API key, when the adapter authenticates calls. */
  apiKey?: string;
  /** Per-case time limit, ms (default 15 000). */
  caseTimeoutMs?: number;
  /** Run only these case ids. */
  only?: readonly string[];
  /** Called after each case (progress output). */
  onResult?: (result: ConformanceCaseResult) => void;
}

/**
 * Runs the adapter conformance suite against any ProviderService address: ListModels shape and
 * paging, unary and streamed generation (order, one final message with usage), tools and JSON
 * output where the model supports them, the error code for each scripted upstream fault (with no
 * SDK retries), a stream cut mid-way with PartialUsage, and deadline and cancel behaviour (the
 * upstream request must close). Never throws for a failing adapter: the report says what failed.
 */
export async function runConformance(options: ConformanceOptions): Promise<ConformanceReport> {
  const client = createProviderClient(options.target, { apiKey: options.apiKey, timeoutMs: 15_000 });
  const results: ConformanceCaseResult[] = [];
  const record = (result: ConformanceCaseResult) => {
    results.push(result);
    options.onResult?.(result);
  };
  const cases = CONFORMANCE_CASES.filter(
    (c) => (!options.only || options.only.includes(c.id)) && !(options.faults === false && c.requires === 'fake'),
  );
  let model: common.ModelInfo | undefined;
  try {
    await client.waitForReady(5000);
    const { models } = await client.listModels({ pageSize: 1000 });
    model = options.model ? models.find((m) => m.ref?.model === options.model) : models[0];
    if (!model) throw new Error(options.model ? `ListModels does not list ${options.model}` : 'ListModels returned no models');
  } catch (error) {
    for (const c of cases) record({ id: c.id, title: c.title, status: 'fail', detail: `cannot start: ${describe(error)}`, durationMs: 0 });
    client.close();
    return summarizeConformance(options.target, options.model ?? '', options.fake !== undefined, results);
  }
  try {
    const modelId = model.ref?.model ?? '';
    for (const c of cases) record(await runCase(c, { client, model, modelId, fake: options.fake }, options.caseTimeoutMs ?? 15_000));
  } finally {
    options.fake?.clearFaults();
    client.close();
  }
  return summarizeConformance(options.target, model.ref?.model ?? '', options.fake !== undefined, results);
}

async function runCase(
  c: ConformanceCase,
  base: { client: ReturnType<typeof createProviderClient>; model: common.ModelInfo; modelId: string; fake: FakeControl | undefined },
  timeoutMs: number,
): Promise<ConformanceCaseResult> {
  const started = performance.now();
  const done = (status: ConformanceCaseResult['status'], detail?: string): ConformanceCaseResult => ({
    id: c.id,
    title: c.title,
    status,
    ...(detail ? { detail } : {}),
    durationMs: performance.now() - started,
  });
  if (c.requires === 'fake' && !base.fake) return done('skip', 'needs a scriptable fake upstream (--fake)');
  if (c.requires && c.requires !== 'fake' && !base.model.capabilities?.[c.requires]) {
    return done('n/a', `${base.model.ref?.model} does not declare ${c.requires}`);
  }
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      abort.abort();
      reject(new Error(`timed out after ${timeoutMs} ms`));
    }, timeoutMs);
  });
  try {
    await Promise.race([c.run({ ...base, signal: abort.signal }), timeout]);
    return done('pass');
  } catch (error) {
    return done('fail', describe(error));
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
