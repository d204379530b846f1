// Test support: an in-process evaluator on in-memory PGlite (or a given database), served over real gRPC on port 0.
import path from 'node:path';
import { createPgliteDatabase, type Database } from '@switchyard/database';
import { createLogger, type RunningGrpcServer } from '@switchyard/grpc-kit';
import { defaultPriceCatalog } from '@switchyard/pricing';
import { createEvaluatorClient, type EvaluatorServiceClient } from '@switchyard/sdk';
import { createEvaluator, startEvaluatorServer, type Evaluator } from '../evaluator-app';
import type { DemotionPolicy } from '../evaluator-service';
import type { ModelCaller } from '../model-caller';
import { createModelNaming, type ModelNaming } from '../model-names';
import type { OnlineMethod } from '../online-scoring';
import type { Judge } from '../scorers/llm-judge';
import { loadSuiteFolders } from '../suites/suite-catalog';
import { longCallChannelOptions } from './long-call-client';

/** The shipped suites folder. */
export const SHIPPED_SUITES_DIR = path.resolve(__dirname, '../../suites');

/** Options for startTestEvaluator. */
export interface TestEvaluatorOptions {
  caller: ModelCaller;
  judge?: Judge;
  /** Default: judge with `judge`, or a shadow of openai/gpt-4-1106-preview through `caller`. */
  onlineMethod?: OnlineMethod;
  /** Extra suite folders. */
  suiteFolders?: string[];
  database?: Database;
  naming?: ModelNaming;
  demotion?: Partial<DemotionPolicy>;
  queueCapacity?: number;
  workers?: number;
  allowTeams?: string[];
}

/** A running test evaluator. */
export interface TestEvaluator {
  evaluator: Evaluator;
  server: RunningGrpcServer;
  client: EvaluatorServiceClient;
  database: Database;
  close(): Promise<void>;
}

/** Model naming with the test aliases (bare test model names resolve to provider "openai"). */
export function testNaming(aliases: Record<string, string> = {}): ModelNaming {
  return createModelNaming({ catalog: defaultPriceCatalog(), aliases });
}

/** Starts an evaluator for a test file (about 4 s with a fresh PGlite: share one per file). */
export async function startTestEvaluator(options: TestEvaluatorOptions): Promise<TestEvaluator> {
  const logger = createLogger({ service: 'evaluator-test', level: process.env.SWITCHYARD_TEST_LOG ?? 'silent' });
  const ownDatabase = !options.database;
  const database = options.database ?? (await createPgliteDatabase());
  const suites = loadSuiteFolders([SHIPPED_SUITES_DIR, ...(options.suiteFolders ?? [])]);
  if (suites.rejected.length > 0) throw suites.rejected[0];
  const naming = options.naming ?? testNaming();
  const evaluator = await createEvaluator({
    database,
    suites,
    caller: options.caller,
    judge: options.judge,
    naming,
    online: {
      method: options.onlineMethod ?? (options.judge ? { kind: 'judge', judge: options.judge } : { kind: 'shadow', caller: options.caller, referenceModel: 'openai/gpt-4-1106-preview', timeoutMs: 5000 }),
      queueCapacity: options.queueCapacity ?? 1000,
      workers: options.workers ?? 4,
      allowTeams: options.allowTeams ?? ['*'],
      evaluationTeam: 'eval',
    },
    demotion: { threshold: 0.5, thresholds: {}, minSamples: 10, windowMs: 24 * 3600_000, ...options.demotion },
    runs: { leaseMs: 5000, exclusiveDatabase: database.kind === 'pglite', retryBaseMs: 10 },
    logger,
  });
  const server = await startEvaluatorServer({ evaluator, address: '127.0.0.1:0', logger, drainGraceMs: 100 });
  await evaluator.start();
  const client = createEvaluatorClient(server.address, { channelOptions: longCallChannelOptions({ timeoutSeconds: 60 }) });
  return {
    evaluator,
    server,
    client,
    database,
    async close() {
      client.close();
      await server.shutdown(100);
      await evaluator.stop();
      if (ownDatabase) await database.close();
    },
  };
}
