// Composition root of the evaluator: telemetry first (it must patch @grpc/grpc-js before it loads),
// then config → database → suites → model callers → evaluator → gRPC server → resume unfinished
// runs; SIGTERM → drain, stop (runs stay resumable), close, flush telemetry.
import { telemetry } from '@switchyard/telemetry/register';
import { hostname } from 'node:os';
import path from 'node:path';
import { openDatabase } from '@switchyard/database';
import { createApiKeyAuthenticator, createApiKeyStore, createLogger } from '@switchyard/grpc-kit';
import { defaultPriceCatalog } from '@switchyard/pricing';
import { loadEvaluatorConfig } from './config';
import { createEvaluator, startEvaluatorServer } from './evaluator-app';
import { ModelCallError, type ModelCaller } from './model-caller';
import { createModelNaming } from './model-names';
import type { OnlineMethod } from './online-scoring';
import { createProviderModelCaller } from './provider-model-caller';
import { createRouterModelCaller } from './router-model-caller';
import { createJudge } from './scorers/llm-judge';
import { loadSuiteFolders } from './suites/suite-catalog';

/** The suites shipped with the evaluator. */
const SHIPPED_SUITES = path.resolve(__dirname, '../suites');

/** A caller for an evaluator with no way to reach models: every call fails with a clear message. */
const unconfiguredCaller: ModelCaller = {
  kind: 'provider',
  generate: () => Promise.reject(new ModelCallError('no model caller configured (set models.router.address or models.providers)', 'FAILED_PRECONDITION', false)),
  close: () => undefined,
};

async function main(): Promise<void> {
  const config = loadEvaluatorConfig(process.env);
  const logger = createLogger({ service: 'evaluator', level: config.logLevel });

  const loaded = loadSuiteFolders([SHIPPED_SUITES, ...config.suites.folders]);
  for (const rejected of loaded.rejected) logger.error({ file: rejected.source, problems: rejected.problems }, 'suite file rejected');
  if (config.suites.strict && loaded.rejected.length > 0) throw new Error(`${loaded.rejected.length} suite file(s) rejected (suites.strict is on)`);
  logger.info({ suites: loaded.suites.map((suite) => `${suite.name}@${suite.version} (${suite.items.length} items)`) }, 'suites loaded');

  const database = await openDatabase({
    url: config.database.url,
    dataDir: config.database.dataDir,
    maxConnections: config.database.maxConnections,
    applicationName: 'switchyard-evaluator',
    onConnectionError: (error) => logger.warn({ err: error.message }, 'database connection failed; calls using it answer UNAVAILABLE and the pool reconnects'),
  });
  logger.info({ database: database.kind, dataDir: config.database.url ? undefined : config.database.dataDir }, 'database open');

  const catalog = defaultPriceCatalog();
  const naming = createModelNaming({ catalog, aliases: config.models.aliases });
  const routerCaller = config.models.router.address ? createRouterModelCaller({ address: config.models.router.address, apiKey: config.models.router.apiKey }) : undefined;
  const providerCaller = Object.keys(config.models.providers).length > 0 ? createProviderModelCaller({ providers: config.models.providers, naming, catalog }) : undefined;
  const caller =
    config.models.caller === 'router' ? routerCaller : config.models.caller === 'provider' ? providerCaller : (routerCaller ?? providerCaller);
  if (!caller) logger.warn({ mode: config.models.caller }, 'no model caller configured: runs will record every item as an error');
  if (routerCaller && !config.models.router.apiKey) logger.warn('models.router.apiKey is not set: calls through the router carry no evaluation key');
  // The judge and shadow go through the router when there is one, so they are billed to evaluation.
  const helperCaller = routerCaller ?? providerCaller;
  const judge = config.judge.model && helperCaller ? createJudge({ caller: helperCaller, model: config.judge.model, timeoutMs: config.judge.timeoutMs }) : undefined;
  const onlineMethod: OnlineMethod =
    config.online.method === 'shadow'
      ? { kind: 'shadow', caller: helperCaller ?? unconfiguredCaller, referenceModel: naming.canonical(config.online.referenceModel), timeoutMs: config.online.shadowTimeoutMs }
      : judge
        ? { kind: 'judge', judge }
        : { kind: 'judge', judge: createJudge({ caller: unconfiguredCaller, model: config.judge.model || 'none', timeoutMs: config.judge.timeoutMs }) };

  const evaluator = await createEvaluator({
    database,
    suites: loaded,
    caller: caller ?? unconfiguredCaller,
    judge,
    naming,
    online: {
      method: onlineMethod,
      queueCapacity: config.online.queueCapacity,
      workers: config.online.workers,
      allowTeams: config.online.allowTeams,
      evaluationTeam: config.online.evaluationTeam,
    },
    demotion: {
      threshold: config.online.demoteBelow,
      thresholds: config.online.thresholds,
      minSamples: config.online.minSamples,
      windowMs: config.online.windowMs,
    },
    runs: {
      leaseMs: config.runs.leaseMs,
      exclusiveDatabase: database.kind === 'pglite',
      maxAttempts: config.runs.maxAttempts,
      retryBaseMs: config.runs.retryBaseMs,
      defaultConcurrency: config.runs.defaultConcurrency,
      defaultItemTimeoutMs: config.runs.defaultItemTimeoutMs,
    },
    maxErrorRate: config.runs.maxErrorRate,
    instanceId: `${hostname()}-${process.pid}`,
    logger,
  });

  const authenticate = config.auth.apiKeysFile ? createApiKeyAuthenticator(createApiKeyStore({ file: config.auth.apiKeysFile })) : undefined;
  if (!authenticate) logger.warn('auth.apiKeysFile is not set: every caller is trusted (serve on loopback or behind a mesh only)');
  const server = await startEvaluatorServer({ evaluator, address: config.listen, logger, authenticate, drainGraceMs: config.drainGraceMs });
  await evaluator.start();

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, online: evaluator.online.stats() }, 'shutting down');
    const force = setTimeout(() => process.exit(1), config.drainGraceMs + 5000);
    force.unref();
    server
      .shutdown()
      .then(() => evaluator.stop())
      .then(() => {
        routerCaller?.close();
        providerCaller?.close();
        return database.close();
      })
      .then(() => telemetry.shutdown()) // last: flushes the spans of the drained calls
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // Announced only once the signal handlers are in place, so a supervisor's SIGTERM always drains.
  process.stdout.write(`${JSON.stringify({ event: 'listening', service: 'evaluator', address: server.address })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`evaluator failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
