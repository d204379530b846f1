import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { ModelCallError, type ModelCaller } from './model-caller';
import type { QualityStore } from './quality-store';
import { pairKey, type AggregateRow, type CancelOutcome, type RunRecord, type RunStore } from './run-store';
import type { Judge } from './scorers/llm-judge';
import { scoreAnswer, ScoringError } from './scorers/score-answer';
import type { SuiteItem } from './suites/suite-file';
import type { SuiteSnapshots } from './suites/suite-snapshots';

/** Options for createRunExecutor. */
export interface RunExecutorOptions {
  runs: RunStore;
  snapshots: SuiteSnapshots;
  quality: QualityStore;
  /** How models under test are called. */
  caller: ModelCaller;
  /** The LLM judge for llm_judge items. */
  judge?: Judge;
  /** This process's identity in run leases. */
  instanceId: string;
  /** How long a claim on a run holds without a heartbeat, ms (heartbeats every third of it). */
  leaseMs: number;
  /**
   * The database cannot be shared with another evaluator (embedded PGlite), so at start every
   * unfinished run is ours to resume at once, without waiting for a stale lease to expire.
   */
  exclusiveDatabase: boolean;
  /** Attempts per model call for retryable failures (unavailable, rate limited); default 3. */
  maxAttempts?: number;
  /** First retry pause, ms (doubles per attempt, or the server's RetryInfo); default 500. */
  retryBaseMs?: number;
  logger: Logger;
  /** Called when every item of a run is recorded, before the run is marked succeeded (e.g. to give a validation verdict); must be idempotent. */
  onRunSucceeded?: (run: RunRecord & { aggregates: AggregateRow[] }) => Promise<void>;
}

/** Executes runs in the background, resumably. */
export interface RunExecutor {
  /** Starts executing a run here unless it is already executing (here or, by lease, elsewhere). */
  execute(runId: string): void;
  /** Claims and executes every unfinished run this instance may take; returns how many started. */
  resumeClaimable(): Promise<number>;
  /** Calls `listener` after every recorded item and when a run ends; returns the unsubscribe. */
  subscribe(runId: string, listener: () => void): () => void;
  /**
   * Cancels a run as `cancelledBy` (a key id, or ''): stops its work here first, so no model call starts
   * once the cancellation is recorded (calls in flight are aborted and their results discarded), then
   * records it. Undefined for an unknown run. An instance executing it elsewhere stops at its next heartbeat.
   * When recording fails (database down) the run stays unfinished and is resumed by the next sweep.
   */
  cancel(runId: string, cancelledBy: string): Promise<CancelOutcome | undefined>;
  /** Runs executing in this process. */
  active(): string[];
  /** Resolves when the run is no longer executing in this process. */
  settled(runId: string): Promise<void>;
  /** Stops: in-flight calls are abandoned unrecorded, runs stay `running` and resume at the next start. */
  stop(): Promise<void>;
}

const OUTPUT_LIMIT = 4000;
const MAX_RETRY_PAUSE_MS = 10_000;

/** Deterministic per (run, item, model): a resumed run re-sends the same idempotency key. */
export function itemRequestId(runId: string, itemId: string, model: string, purpose: 'run' | 'judge'): string {
  return `eval-${purpose}-${createHash('sha256').update(`${runId}\u0000${itemId}\u0000${model}`).digest('hex').slice(0, 32)}`;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * The run executor. Each run works through the (item, model) pairs not yet in run_items with at most
 * `concurrency` model calls in flight, each under the run's item deadline; every result (score or
 * error) is inserted once, keyed by (run, item, model). After a crash the run is claimed again and
 * only the missing pairs are done: no item is scored twice and none is skipped.
 */
export function createRunExecutor(options: RunExecutorOptions): RunExecutor {
  const { runs, logger } = options;
  const maxAttempts = options.maxAttempts ?? 3;
  const retryBaseMs = options.retryBaseMs ?? 500;
  const executing = new Map<string, Promise<void>>();
  /** Per executing run: aborted when the run is cancelled (the stop signal covers shutdown). */
  const cancellations = new Map<string, AbortController>();
  const listeners = new Map<string, Set<() => void>>();
  const stopController = new AbortController();
  let stopped = false;

  const notify = (runId: string) => {
    for (const listener of listeners.get(runId) ?? []) {
      try {
        listener();
      } catch (error) {
        logger.warn({ err: error, runId }, 'progress listener failed');
      }
    }
  };

  // Renews our leases, and stops runs another instance cancelled (their results would be discarded anyway).
  const heartbeat = setInterval(() => {
    const ids = [...executing.keys()];
    runs.renewLeases(options.instanceId, ids, options.leaseMs).catch((error: unknown) => logger.warn({ err: error }, 'renewing run leases failed'));
    runs
      .cancelledAmong(ids)
      .then((cancelled) => cancelled.forEach((runId) => cancellations.get(runId)?.abort()))
      .catch((error: unknown) => logger.warn({ err: error }, 'checking for cancelled runs failed'));
  }, Math.max(50, Math.floor(options.leaseMs / 3)));
  heartbeat.unref();

  async function callModel(run: RunRecord, item: SuiteItem, model: string, signal: AbortSignal) {
    let attempt = 0;
    for (;;) {
      attempt++;
      try {
        const reply = await options.caller.generate({
          model,
          messages: item.messages,
          params: item.params,
          requestId: itemRequestId(run.runId, item.id, model, 'run'),
          timeoutMs: run.itemTimeoutMs,
          signal,
          purpose: 'run',
        });
        return { reply, attempts: attempt };
      } catch (error) {
        const failure = error instanceof ModelCallError ? error : new ModelCallError(String(error), 'UNKNOWN', false);
        if (signal.aborted) throw failure;
        if (!failure.retryable || attempt >= maxAttempts) return { failure, attempts: attempt };
        const pause = Math.min(MAX_RETRY_PAUSE_MS, failure.retryDelayMs ?? retryBaseMs * 2 ** (attempt - 1) * (0.5 + Math.random()));
        await sleep(pause, signal);
      }
    }
  }

  async function processPair(run: RunRecord, item: SuiteItem, model: string, signal: AbortSignal): Promise<void> {
    const started = performance.now();
    const outcome = await callModel(run, item, model, signal).catch((error: unknown) => {
      if (signal.aborted) return undefined; // stopping (the resumed run does the pair) or cancelled (nobody does)
      throw error;
    });
    if (!outcome || signal.aborted) return;
    const base = { runId: run.runId, itemId: item.id, model, itemIndex: item.index, taskClass: item.taskClass, attempts: outcome.attempts };
    let record;
    if ('failure' in outcome && outcome.failure) {
      record = { ...base, score: null, explanation: '', errorMessage: `model call failed: ${outcome.failure.message}`, output: '', costNanos: 0n, judgeCostNanos: 0n, latencyMs: performance.now() - started };
    } else {
      const reply = outcome.reply!;
      const common = { ...base, output: reply.text.slice(0, OUTPUT_LIMIT), costNanos: reply.costNanos, latencyMs: reply.latencyMs };
      try {
        const scored = await scoreAnswer(
          { spec: item.scorer, output: reply.text, reference: item.reference, conversation: item.messages, requestId: itemRequestId(run.runId, item.id, model, 'judge'), signal },
          { judge: options.judge },
        );
        record = { ...common, score: scored.score, explanation: scored.explanation, errorMessage: null, judgeCostNanos: scored.judgeCostNanos };
      } catch (error) {
        if (signal.aborted) return;
        // Any scoring failure is this item's error (recorded, counted), never a crash and never a silent zero.
        const message = error instanceof ScoringError ? error.message : `scorer failed: ${(error as Error).message}`;
        record = { ...common, score: null, explanation: '', errorMessage: message, judgeCostNanos: error instanceof ScoringError ? error.judgeCostNanos : 0n };
      }
    }
    // Not recorded when the run was cancelled meanwhile (another instance's CancelRun): the result is discarded.
    if (await runs.recordResult(record)) notify(run.runId);
  }

  async function executeRun(runId: string, cancellation: AbortController): Promise<void> {
    const signal = AbortSignal.any([stopController.signal, cancellation.signal]);
    const run = await runs.claimRun(runId, options.instanceId, options.leaseMs, options.exclusiveDatabase);
    if (!run) return;
    const log = logger.child({ runId, suite: `${run.suiteName}@${run.suiteVersion}` });
    try {
      const suite = await options.snapshots.load(run.suiteName, run.suiteVersion, run.suiteSha256);
      if (!suite) throw new Error(`suite ${run.suiteName}@${run.suiteVersion} (${run.suiteSha256.slice(0, 12)}) is not stored`);
      const items = run.itemLimit > 0 ? suite.items.slice(0, run.itemLimit) : suite.items;
      const done = await runs.completedPairs(runId);
      const work: Array<{ item: SuiteItem; model: string }> = [];
      for (const item of items) for (const model of run.models) if (!done.has(pairKey(item.id, model))) work.push({ item, model });
      log.info({ models: run.models, pending: work.length, done: done.size, concurrency: run.concurrency }, done.size > 0 ? 'resuming run' : 'starting run');

      let next = 0;
      const worker = async () => {
        while (next < work.length && !signal.aborted) {
          const task = work[next++]!;
          await processPair(run, task.item, task.model, signal);
        }
      };
      await Promise.all(Array.from({ length: Math.min(run.concurrency, work.length) }, worker));
      if (cancellation.signal.aborted) log.info('run cancelled');
      if (signal.aborted) return;

      // Quality scores and the verdict first, the state last: a crash in between resumes a run with
      // nothing left to score, which redoes these idempotent steps and then ends it.
      const aggregates = await runs.aggregate(runId);
      await options.quality.replaceSuiteScores(
        run.suiteName,
        runId,
        aggregates.filter((row) => row.taskClass !== '').map((row) => ({ model: row.model, taskClass: row.taskClass, summary: row.summary })),
      );
      await options.onRunSucceeded?.({ ...run, aggregates });
      if (!(await runs.finishRun(runId, 'succeeded', '', aggregates))) {
        log.info('run was cancelled while it ended; it stays cancelled');
        return;
      }
      log.info({ aggregates: aggregates.filter((row) => row.taskClass === '').map((row) => ({ model: row.model, scored: row.scored, errors: row.errors, mean: row.summary.n ? row.summary.sum / row.summary.n : 0 })) }, 'run succeeded');
    } catch (error) {
      if (signal.aborted) return;
      log.error({ err: error }, 'run failed');
      const aggregates = await runs.aggregate(runId).catch(() => []);
      await runs.finishRun(runId, 'failed', (error as Error).message, aggregates).catch((finishError: unknown) => log.error({ err: finishError }, 'recording the failure failed'));
    }
  }

  const executor: RunExecutor = {
    execute(runId) {
      if (stopped || executing.has(runId)) return;
      const cancellation = new AbortController();
      const running = executeRun(runId, cancellation)
        .catch((error: unknown) => logger.error({ err: error, runId }, 'run execution crashed'))
        .finally(() => {
          executing.delete(runId);
          cancellations.delete(runId);
          notify(runId);
        });
      executing.set(runId, running);
      cancellations.set(runId, cancellation);
    },
    async resumeClaimable() {
      if (stopped) return 0;
      const ids = (await runs.claimableRunIds(options.instanceId, options.exclusiveDatabase)).filter((id) => !executing.has(id));
      for (const id of ids) executor.execute(id);
      return ids.length;
    },
    subscribe(runId, listener) {
      const set = listeners.get(runId) ?? new Set();
      set.add(listener);
      listeners.set(runId, set);
      return () => {
        set.delete(listener);
        if (set.size === 0) listeners.delete(runId);
      };
    },
    async cancel(runId, cancelledBy) {
      cancellations.get(runId)?.abort();
      const outcome = await runs.cancelRun(runId, cancelledBy);
      notify(runId);
      return outcome;
    },
    active: () => [...executing.keys()],
    settled: async (runId) => {
      await executing.get(runId);
    },
    async stop() {
      stopped = true;
      clearInterval(heartbeat);
      stopController.abort();
      await Promise.allSettled([...executing.values()]);
    },
  };
  return executor;
}
