import { randomUUID } from 'node:crypto';
import { common, evaluator } from '@switchyard/contracts';
import { DatabaseUnavailableError } from '@switchyard/database';
import { failedPrecondition, invalidArgument, notFound, permissionDenied, deadlineExceeded, unavailable } from '@switchyard/grpc-kit';
import { messageText, type EvaluatorServiceImplementation, type ServerCallContext } from '@switchyard/sdk';
import type { ChatTurn } from './model-caller';
import { modelMatches, type ModelNaming } from './model-names';
import type { OnlineScoring } from './online-scoring';
import {
  decodePageToken,
  encodePageToken,
  isTerminal,
  itemResultView,
  msFromDuration,
  qualityView,
  runView,
  suiteView,
  verdictView,
} from './proto-views';
import type { QualityStore } from './quality-store';
import type { RunExecutor } from './run-executor';
import type { AggregateRow, NewRun, RunRecord, RunStore } from './run-store';
import { deltaInterval, meanInterval } from './statistics';
import type { SuiteCatalog } from './suites/suite-catalog';
import type { SuiteSnapshots } from './suites/suite-snapshots';
import { taskClassName } from './task-classes';
import type { VerdictRecord, VerdictStore } from './validation-gate';

/** When online scores demote a model. */
export interface DemotionPolicy {
  /** Default online mean score below which a model is demoted. */
  threshold: number;
  /** Per-model thresholds by canonical model key. */
  thresholds: Readonly<Record<string, number>>;
  /** Online samples needed before a model can be demoted. */
  minSamples: number;
  /** Online scores older than this do not count, ms. */
  windowMs: number;
}

/** What the handlers work with. */
export interface EvaluatorServiceDependencies {
  suites: SuiteCatalog;
  snapshots: SuiteSnapshots;
  runs: RunStore;
  executor: RunExecutor;
  quality: QualityStore;
  verdicts: VerdictStore;
  online: OnlineScoring;
  naming: ModelNaming;
  demotion: DemotionPolicy;
  /** Gives (or finds) the verdict of a finished validation run. */
  recordVerdict: (run: RunRecord) => Promise<VerdictRecord>;
  /** Concurrency when StartRun gives 0; default 4. */
  defaultConcurrency?: number;
  /** Item deadline when StartRun gives none, ms; default 60 s. */
  defaultItemTimeoutMs?: number;
  now?: () => Date;
}

const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;
const MAX_ITEM_TIMEOUT_MS = 10 * 60_000;
const WATCH_INTERVAL_MS = 250;
const POLL_MS = 1000;

function pageSize(requested: number): number {
  if (requested < 0) throw invalidArgument('page_size', 'must not be negative');
  return requested === 0 ? DEFAULT_PAGE : Math.min(requested, MAX_PAGE);
}

function pageOffset(token: string, scope: string): number {
  const offset = decodePageToken(token, scope);
  if (offset === undefined) throw invalidArgument('page_token', 'not a page token from this listing');
  return offset;
}

/** Starting or cancelling a run or submitting traffic needs a service or admin key when the evaluator authenticates. */
function requireWriter(context: ServerCallContext): void {
  if (context.principal && context.principal.role === 'team') throw permissionDenied('this call needs an admin or service key', 'ROLE_REQUIRED');
}

function toTurns(messages: readonly common.ChatMessage[]): ChatTurn[] {
  const turns: ChatTurn[] = [];
  for (const message of messages) {
    const text = messageText(message);
    if (message.role === common.Role.SYSTEM) turns.push({ role: 'system', content: text });
    else if (message.role === common.Role.ASSISTANT) turns.push({ role: 'assistant', content: text });
    else if (message.role === common.Role.TOOL) turns.push({ role: 'user', content: `[tool result] ${text}` });
    else turns.push({ role: 'user', content: text });
  }
  return turns;
}

/** Waits until a run ends (executed here or by another replica), or the signal aborts. */
async function waitForRunEnd(dependencies: EvaluatorServiceDependencies, runId: string, signal: AbortSignal): Promise<RunRecord> {
  for (;;) {
    const run = await dependencies.runs.getRun(runId);
    if (!run) throw notFound(`run ${runId} not found`);
    if (isTerminal(run.state)) return run;
    if (signal.aborted) throw deadlineExceeded(`run ${runId} is still running; call again with the same request_id for its verdict`);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, POLL_MS);
      const unsubscribe = dependencies.executor.subscribe(runId, done);
      signal.addEventListener('abort', done, { once: true });
      function done() {
        clearTimeout(timer);
        unsubscribe();
        signal.removeEventListener('abort', done);
        resolve();
      }
    });
  }
}

/** The one place the evaluator's typed errors become gRPC status (ServiceFailures pass; anything else stays INTERNAL). */
function toServiceFailure(error: unknown): unknown {
  // The database layer classifies connection failures (reset, refused, server restarting) into this one error.
  if (error instanceof DatabaseUnavailableError) return unavailable('the evaluator database is unavailable; retry shortly', 'DATABASE_UNAVAILABLE', { retryDelayMs: 1000 });
  return error;
}

/** The handlers with every failure passed through toServiceFailure. */
function withServiceFailures(handlers: EvaluatorServiceImplementation): EvaluatorServiceImplementation {
  const unary =
    <Request, Response>(handler: (request: Request, context: ServerCallContext) => Promise<Response> | Response) =>
    async (request: Request, context: ServerCallContext): Promise<Response> => {
      try {
        return await handler(request, context);
      } catch (error) {
        throw toServiceFailure(error);
      }
    };
  return {
    listSuites: unary(handlers.listSuites),
    startRun: unary(handlers.startRun),
    getRun: unary(handlers.getRun),
    async *watchRun(request, context) {
      try {
        yield* handlers.watchRun(request, context);
      } catch (error) {
        throw toServiceFailure(error);
      }
    },
    cancelRun: unary(handlers.cancelRun),
    listRunResults: unary(handlers.listRunResults),
    compareRuns: unary(handlers.compareRuns),
    getQualityScores: unary(handlers.getQualityScores),
    validateModel: unary(handlers.validateModel),
    getModelStatus: unary(handlers.getModelStatus),
    submitExchange: unary(handlers.submitExchange),
  };
}

/** The EvaluatorService handlers. */
export function createEvaluatorService(dependencies: EvaluatorServiceDependencies): EvaluatorServiceImplementation {
  const { runs, executor, naming } = dependencies;
  const now = dependencies.now ?? (() => new Date());

  const aggregatesOf = async (run: RunRecord): Promise<AggregateRow[]> => run.aggregates ?? (await runs.aggregate(run.runId));
  const viewOf = async (run: RunRecord) => {
    const [completed, aggregates] = await Promise.all([runs.countCompleted(run.runId), aggregatesOf(run)]);
    return runView(run, completed, aggregates);
  };
  const requireRun = async (runId: string, field = 'run_id') => {
    if (runId === '') throw invalidArgument(field, 'must be set');
    const run = await runs.getRun(runId);
    if (!run) throw notFound(`run ${runId} not found`);
    return run;
  };

  /** Validates and creates (or, by request id, finds) a run, and starts executing it. */
  async function createRun(input: {
    requestId: string;
    suite: string;
    models: readonly string[];
    concurrency: number;
    itemTimeoutMs?: number;
    limit: number;
    purpose: NewRun['purpose'];
    validation?: NewRun['validation'];
  }): Promise<RunRecord> {
    if (input.requestId !== '') {
      const existing = await runs.getRunByRequestId(input.requestId);
      if (existing) {
        if (!isTerminal(existing.state)) executor.execute(existing.runId);
        return existing;
      }
    }
    if (input.suite === '') throw invalidArgument('suite', 'must be set');
    const suite = dependencies.suites.get(input.suite);
    if (!suite) throw invalidArgument('suite', `unknown suite "${input.suite}" (known: ${dependencies.suites.list().map((s) => s.name).join(', ')})`);
    if (input.models.length === 0) throw invalidArgument('models', 'give at least one model');
    const models = input.models.map((model, index) => {
      if (model.trim() === '') throw invalidArgument(`models[${index}]`, 'must not be empty');
      return naming.canonical(model);
    });
    const duplicate = models.find((model, index) => models.indexOf(model) !== index);
    if (duplicate) throw invalidArgument('models', `"${duplicate}" is listed twice`);
    if (input.concurrency < 0 || input.concurrency > 64) throw invalidArgument('concurrency', 'must be from 0 (default 4) to 64');
    const itemTimeoutMs = input.itemTimeoutMs ?? dependencies.defaultItemTimeoutMs ?? 60_000;
    if (itemTimeoutMs <= 0 || itemTimeoutMs > MAX_ITEM_TIMEOUT_MS) throw invalidArgument('item_timeout', 'must be more than 0 and at most 10 minutes');
    if (input.limit < 0) throw invalidArgument('limit', 'must not be negative');
    await dependencies.snapshots.save(suite);
    const items = input.limit > 0 ? Math.min(input.limit, suite.items.length) : suite.items.length;
    const { run, created } = await runs.insertRun({
      runId: `run_${randomUUID().replace(/-/g, '').slice(0, 20)}`,
      requestId: input.requestId || undefined,
      purpose: input.purpose,
      validation: input.validation,
      suiteName: suite.name,
      suiteVersion: suite.version,
      suiteSha256: suite.sha256,
      models,
      concurrency: input.concurrency === 0 ? (dependencies.defaultConcurrency ?? 4) : input.concurrency,
      itemTimeoutMs,
      itemLimit: input.limit,
      total: items * models.length,
    });
    if (created || !isTerminal(run.state)) executor.execute(run.runId);
    return run;
  }

  /** A model's standing: the latest verdict, demoted when its online scores are confidently below its threshold. */
  async function modelStatus(model: string) {
    const verdict = await dependencies.verdicts.latestFor(model);
    const online = await dependencies.quality.onlineSummary(model, new Date(now().getTime() - dependencies.demotion.windowMs));
    const interval = meanInterval(online);
    const threshold = dependencies.demotion.thresholds[model] ?? dependencies.demotion.threshold;
    let status = evaluator.ModelStatus.UNSPECIFIED;
    if (verdict) status = verdict.outcome === 'pass' ? evaluator.ModelStatus.VALIDATED : evaluator.ModelStatus.REJECTED;
    // A rejected model stays rejected; any other is demoted once the evidence is clear (upper CI bound below the threshold).
    if (status !== evaluator.ModelStatus.REJECTED && online.n >= dependencies.demotion.minSamples && interval.ciHigh < threshold) {
      status = evaluator.ModelStatus.DEMOTED;
    }
    return { status, verdict, online, interval };
  }

  return withServiceFailures({
    async listSuites(request) {
      const size = pageSize(request.pageSize);
      const offset = pageOffset(request.pageToken, 'suites');
      const all = dependencies.suites.list();
      const page = all.slice(offset, offset + size);
      return { suites: page.map(suiteView), nextPageToken: offset + size < all.length ? encodePageToken('suites', offset + size) : '' };
    },

    async startRun(request, context) {
      requireWriter(context);
      const run = await createRun({
        requestId: request.requestId,
        suite: request.suite,
        models: request.models,
        concurrency: request.concurrency,
        itemTimeoutMs: request.itemTimeout ? msFromDuration(request.itemTimeout) : undefined,
        limit: request.limit,
        purpose: 'run',
      });
      return { run: await viewOf(run) };
    },

    async getRun(request) {
      return { run: await viewOf(await requireRun(request.runId)) };
    },

    async *watchRun(request, context) {
      let run = await requireRun(request.runId);
      let changed = true;
      const wake: { resolve?: () => void } = {};
      const unsubscribe = executor.subscribe(run.runId, () => {
        changed = true;
        wake.resolve?.();
      });
      try {
        for (;;) {
          yield { run: await viewOf(run) };
          if (isTerminal(run.state) || context.signal.aborted) return;
          changed = false;
          // At most one update per interval; a poll covers runs executed by another replica.
          await new Promise((resolve) => setTimeout(resolve, WATCH_INTERVAL_MS));
          if (!changed) {
            await new Promise<void>((resolve) => {
              const timer = setTimeout(finish, POLL_MS);
              wake.resolve = finish;
              context.signal.addEventListener('abort', finish, { once: true });
              function finish() {
                clearTimeout(timer);
                wake.resolve = undefined;
                context.signal.removeEventListener('abort', finish);
                resolve();
              }
            });
          }
          if (context.signal.aborted) return;
          run = (await runs.getRun(run.runId)) ?? run;
        }
      } finally {
        unsubscribe();
      }
    },

    async cancelRun(request, context) {
      requireWriter(context);
      if (request.runId === '') throw invalidArgument('run_id', 'must be set');
      const cancelled = await executor.cancel(request.runId, context.principal?.keyId ?? '');
      if (!cancelled) throw notFound(`run ${request.runId} not found`);
      if (cancelled.outcome === 'ended') {
        throw failedPrecondition(`run ${request.runId} already ${cancelled.run.state}; only a pending or running run can be cancelled`, 'RUN_ALREADY_ENDED');
      }
      return { run: await viewOf(cancelled.run) };
    },

    async listRunResults(request) {
      const run = await requireRun(request.runId);
      const size = pageSize(request.pageSize);
      const offset = pageOffset(request.pageToken, `results:${run.runId}`);
      const rows = await runs.listResults(run.runId, offset, size + 1);
      return {
        results: rows.slice(0, size).map(itemResultView),
        nextPageToken: rows.length > size ? encodePageToken(`results:${run.runId}`, offset + size) : '',
      };
    },

    async compareRuns(request) {
      const base = await requireRun(request.baseRunId, 'base_run_id');
      const head = await requireRun(request.headRunId, 'head_run_id');
      const [baseRows, headRows] = await Promise.all([aggregatesOf(base), aggregatesOf(head)]);
      // Items pair across runs only when both ran the same suite (item ids mean the same question).
      const paired = base.suiteName === head.suiteName;
      const [baseItems, headItems] = paired ? await Promise.all([runs.itemScores(base.runId), runs.itemScores(head.runId)]) : [[], []];
      const baseScore = new Map(baseItems.map((row) => [`${row.model}\u0000${row.itemId}`, row]));
      const deltas = [];
      for (const headRow of headRows) {
        const baseRow = baseRows.find((row) => row.model === headRow.model && row.taskClass === headRow.taskClass);
        if (!baseRow) continue;
        const differences = paired
          ? headItems
              .filter((item) => item.model === headRow.model && (headRow.taskClass === '' || item.taskClass === headRow.taskClass))
              .flatMap((item) => {
                const other = baseScore.get(`${item.model}\u0000${item.itemId}`);
                return other ? [item.score - other.score] : [];
              })
          : undefined;
        const delta = deltaInterval(baseRow.summary, headRow.summary, differences);
        deltas.push({
          model: headRow.model,
          taskClass: headRow.taskClass,
          baseMean: meanInterval(baseRow.summary).mean,
          headMean: meanInterval(headRow.summary).mean,
          delta: delta.mean,
          ciLow: delta.ciLow,
          ciHigh: delta.ciHigh,
        });
      }
      deltas.sort((a, b) => a.model.localeCompare(b.model) || (a.taskClass === '' ? -1 : b.taskClass === '' ? 1 : a.taskClass.localeCompare(b.taskClass)));
      return { deltas };
    },

    async getQualityScores(request) {
      const rows = await dependencies.quality.list();
      const wanted = request.models.filter((model) => model.trim() !== '');
      const selected = wanted.length === 0 ? rows : rows.filter((row) => wanted.some((model) => modelMatches(model, row.model) || naming.canonical(model) === row.model));
      return { scores: selected.map(qualityView) };
    },

    async validateModel(request, context) {
      requireWriter(context);
      if (request.candidate.trim() === '') throw invalidArgument('candidate', 'must be set');
      if (request.incumbent.trim() === '') throw invalidArgument('incumbent', 'must be set');
      const candidate = naming.canonical(request.candidate);
      const incumbent = naming.canonical(request.incumbent);
      if (candidate === incumbent) throw invalidArgument('incumbent', 'must differ from the candidate');
      if (!(request.tolerance >= 0 && request.tolerance <= 1)) throw invalidArgument('tolerance', 'must be in [0, 1]');
      const tolerance = request.tolerance === 0 ? 0.02 : request.tolerance;
      if (request.requestId !== '') {
        const existing = await dependencies.verdicts.byRequestId(request.requestId);
        if (existing) return { verdict: verdictView(existing) };
      }
      const run = await createRun({
        requestId: `validate:${request.requestId || randomUUID()}`,
        suite: request.suite,
        models: [candidate, incumbent],
        concurrency: 0,
        limit: request.limit,
        purpose: 'validation',
        validation: { candidate, incumbent, tolerance },
      });
      const ended = await waitForRunEnd(dependencies, run.runId, context.signal);
      if (ended.state !== 'succeeded') throw failedPrecondition(`validation run ${ended.runId} ${ended.state}: ${ended.errorMessage || 'no verdict'}`, 'VALIDATION_RUN_FAILED');
      // The verdict is recorded before the run is marked succeeded, also when nobody is waiting.
      const verdict = (await dependencies.verdicts.byRunId(ended.runId)) ?? (await dependencies.recordVerdict(ended));
      return { verdict: verdictView(verdict) };
    },

    async getModelStatus(request) {
      if (request.model.trim() === '') throw invalidArgument('model', 'must be set');
      const { status, verdict, online, interval } = await modelStatus(naming.canonical(request.model));
      return {
        status,
        latestVerdict: verdict ? verdictView(verdict) : undefined,
        onlineMeanScore: online.n > 0 ? interval.mean : 0,
        onlineSampleCount: BigInt(online.n),
      };
    },

    async submitExchange(request, context) {
      requireWriter(context);
      if (request.requestId === '') throw invalidArgument('request_id', 'must be set');
      if (!request.model || request.model.model === '') throw invalidArgument('model.model', 'must be set');
      if (request.messages.length === 0) throw invalidArgument('messages', 'give the conversation');
      if (!request.reply) throw invalidArgument('reply', 'must be set');
      const model = naming.canonical(request.model.provider ? `${request.model.provider}/${request.model.model}` : request.model.model);
      const outcome = dependencies.online.submit({
        requestId: request.requestId,
        teamId: request.teamId,
        model,
        taskClass: taskClassName(request.classification?.taskClass ?? common.TaskClass.UNSPECIFIED),
        messages: toTurns(request.messages),
        reply: messageText(request.reply),
      });
      if (outcome !== 'queued') context.setHeader('x-switchyard-exchange', outcome);
      return { accepted: outcome === 'queued' };
    },
  });
}
