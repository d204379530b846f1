import { randomUUID } from 'node:crypto';
import { evaluator as contracts } from '@switchyard/contracts';
import type { Database } from '@switchyard/database';
import { startGrpcServer, type RunningGrpcServer } from '@switchyard/grpc-kit';
import type { EvaluatorServiceImplementation, Principal, ServerCallContext } from '@switchyard/sdk';
import type { Logger } from 'pino';
import { createEvaluatorService, type DemotionPolicy } from './evaluator-service';
import { applyMigrations } from './migrations/migration-runner';
import type { ModelCaller } from './model-caller';
import type { ModelNaming } from './model-names';
import { createOnlineScoring, type OnlineMethod, type OnlineScoring } from './online-scoring';
import { createQualityStore, type QualityStore } from './quality-store';
import { createRunExecutor, type RunExecutor } from './run-executor';
import { createRunStore, type RunRecord, type RunStore } from './run-store';
import type { Judge } from './scorers/llm-judge';
import type { SuiteCatalog } from './suites/suite-catalog';
import type { Suite } from './suites/suite-file';
import { createSuiteSnapshots } from './suites/suite-snapshots';
import { createVerdictStore, decideVerdict, type VerdictRecord, type VerdictStore } from './validation-gate';

/** Options for createEvaluator. */
export interface EvaluatorOptions {
  database: Database;
  /** The suites served, and every loaded suite (snapshotted into the database at start). */
  suites: { catalog: SuiteCatalog; suites: readonly Suite[] };
  /** How models under test are called (router with the evaluation key, or a provider adapter directly). */
  caller: ModelCaller;
  /** The LLM judge (through the router, billed to evaluation). */
  judge?: Judge;
  naming: ModelNaming;
  online: {
    method: OnlineMethod;
    queueCapacity: number;
    workers: number;
    allowTeams: readonly string[];
    evaluationTeam: string;
  };
  demotion: DemotionPolicy;
  runs: {
    /** Run lease, ms. */
    leaseMs: number;
    /** The database is embedded (PGlite): no other process can hold a run. */
    exclusiveDatabase: boolean;
    maxAttempts?: number;
    retryBaseMs?: number;
    defaultConcurrency?: number;
    defaultItemTimeoutMs?: number;
  };
  /** Largest share of a candidate's items that may fail to score before validation fails; default 0.1. */
  maxErrorRate?: number;
  instanceId?: string;
  logger: Logger;
  now?: () => Date;
}

/** A running evaluator without its gRPC server. */
export interface Evaluator {
  readonly implementation: EvaluatorServiceImplementation;
  readonly executor: RunExecutor;
  readonly online: OnlineScoring;
  readonly runs: RunStore;
  readonly quality: QualityStore;
  readonly verdicts: VerdictStore;
  /** Resumes unfinished runs now and keeps looking for orphaned ones (another replica's expired lease). */
  start(): Promise<void>;
  /** Stops background work; unfinished runs stay resumable. */
  stop(): Promise<void>;
}

/** Migrates the database, snapshots the suites and wires the evaluator. */
export async function createEvaluator(options: EvaluatorOptions): Promise<Evaluator> {
  const { database, logger } = options;
  await applyMigrations(database);
  const snapshots = createSuiteSnapshots(database);
  for (const suite of options.suites.suites) await snapshots.save(suite);
  const runs = createRunStore(database);
  const quality = createQualityStore(database);
  const verdicts = createVerdictStore(database);

  const recordVerdict = async (run: RunRecord): Promise<VerdictRecord> => {
    const existing = await verdicts.byRunId(run.runId);
    if (existing) return existing;
    if (!run.validation) throw new Error(`run ${run.runId} is not a validation run`);
    const aggregates = run.aggregates ?? (await runs.aggregate(run.runId));
    const { candidate, incumbent, tolerance } = run.validation;
    const decision = decideVerdict({ candidate, incumbent, tolerance, aggregates, itemScores: await runs.itemScores(run.runId), maxErrorRate: options.maxErrorRate });
    const verdict = await verdicts.insert({
      verdictId: `verdict_${randomUUID().replace(/-/g, '').slice(0, 20)}`,
      requestId: run.requestId?.replace(/^validate:/, ''),
      candidate,
      incumbent,
      suite: `${run.suiteName}@${run.suiteVersion}`,
      outcome: decision.outcome,
      tolerance,
      reason: decision.reason,
      runId: run.runId,
      candidateScores: aggregates.filter((row) => row.model === candidate),
      incumbentScores: aggregates.filter((row) => row.model === incumbent),
    });
    logger.info({ candidate, incumbent, outcome: verdict.outcome, runId: run.runId, reason: verdict.reason }, 'validation verdict');
    return verdict;
  };

  const executor = createRunExecutor({
    runs,
    snapshots,
    quality,
    caller: options.caller,
    judge: options.judge,
    instanceId: options.instanceId ?? `evaluator-${process.pid}-${randomUUID().slice(0, 8)}`,
    leaseMs: options.runs.leaseMs,
    exclusiveDatabase: options.runs.exclusiveDatabase,
    maxAttempts: options.runs.maxAttempts,
    retryBaseMs: options.runs.retryBaseMs,
    logger,
    onRunSucceeded: async (run) => {
      if (run.purpose === 'validation') await recordVerdict(run);
    },
  });
  const online = createOnlineScoring({
    database,
    quality,
    method: options.online.method,
    queueCapacity: options.online.queueCapacity,
    workers: options.online.workers,
    windowMs: options.demotion.windowMs,
    allowTeams: options.online.allowTeams,
    evaluationTeam: options.online.evaluationTeam,
    logger,
    now: options.now,
  });
  const implementation = createEvaluatorService({
    suites: options.suites.catalog,
    snapshots,
    runs,
    executor,
    quality,
    verdicts,
    online,
    naming: options.naming,
    demotion: options.demotion,
    recordVerdict,
    defaultConcurrency: options.runs.defaultConcurrency,
    defaultItemTimeoutMs: options.runs.defaultItemTimeoutMs,
    now: options.now,
  });

  let sweep: NodeJS.Timeout | undefined;
  return {
    implementation,
    executor,
    online,
    runs,
    quality,
    verdicts,
    async start() {
      const resumed = await executor.resumeClaimable();
      if (resumed > 0) logger.info({ runs: resumed }, 'resuming unfinished runs');
      sweep = setInterval(() => {
        executor.resumeClaimable().catch((error: unknown) => logger.warn({ err: error }, 'looking for orphaned runs failed'));
      }, options.runs.leaseMs);
      sweep.unref();
    },
    async stop() {
      if (sweep) clearInterval(sweep);
      await executor.stop();
      await online.stop();
    },
  };
}

/** Options for startEvaluatorServer. */
export interface EvaluatorServerOptions {
  evaluator: Evaluator;
  /** `host:port`; port 0 picks a free one. */
  address: string;
  logger: Logger;
  /** API-key authentication; without it every caller is trusted (local stacks and tests). */
  authenticate?: (context: ServerCallContext) => Principal | undefined | Promise<Principal | undefined>;
  drainGraceMs?: number;
}

/** Serves the evaluator over gRPC with health, reflection and graceful drain. */
export function startEvaluatorServer(options: EvaluatorServerOptions): Promise<RunningGrpcServer> {
  return startGrpcServer({
    name: 'evaluator',
    address: options.address,
    errorDomain: 'evaluator.switchyard.dev',
    services: [{ service: contracts.EvaluatorService, implementation: options.evaluator.implementation }],
    authenticate: options.authenticate,
    logger: options.logger,
    drainGraceMs: options.drainGraceMs,
  });
}
