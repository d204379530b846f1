// Composition root of the billing service: telemetry first (it must patch @grpc/grpc-js before it loads),
// then config → database → migrations → gRPC server; SIGTERM → drain → close the database → flush telemetry.
import { telemetry } from '@switchyard/telemetry/register';
import { openDatabase } from '@switchyard/database';
import { createApiKeyAuthenticator, createApiKeyStore, createLogger } from '@switchyard/grpc-kit';
import { defaultPriceCatalog } from '@switchyard/pricing';
import { createBilling, prepareBillingDatabase, startBillingServer } from './billing-app';
import { loadBillingConfig } from './config';

async function main(): Promise<void> {
  const config = loadBillingConfig(process.env);
  const logger = createLogger({ service: 'billing', level: config.logLevel });
  const database = await openDatabase({
    url: config.database.url,
    dataDir: config.database.dataDir,
    maxConnections: config.database.maxConnections,
    applicationName: 'switchyard-billing',
    onConnectionError: (error) => logger.warn({ err: error.message }, 'database connection failed; calls using it answer UNAVAILABLE and the pool reconnects'),
  });
  logger.info({ database: database.kind, dataDir: config.database.url ? undefined : config.database.dataDir }, 'database open');

  const app = createBilling({ database, defaultReservationTtlMs: config.reservations.defaultTtlMs });
  await prepareBillingDatabase(app, {
    seedCatalog: config.seedPrices ? defaultPriceCatalog() : undefined,
    bootstrapTeams: config.bootstrapTeams,
    logger,
  });

  const keys = createApiKeyStore({ file: config.auth.apiKeysFile });
  if (keys.list().length === 0) logger.warn({ file: config.auth.apiKeysFile }, 'no API keys: every call will be refused until keys are added');
  const server = await startBillingServer({ app, address: config.listen, authenticate: createApiKeyAuthenticator(keys), logger, drainGraceMs: config.drainGraceMs, tls: config.tls });

  // Holds are released lazily when they block a reservation; the sweep keeps GetBudget tidy too.
  let sweeping = false;
  const sweep = setInterval(() => {
    if (sweeping) return;
    sweeping = true;
    app.budgets
      .releaseExpiredHolds()
      .then((released) => released > 0 && logger.info({ released }, 'released expired budget holds'))
      .catch((error: unknown) => logger.warn({ err: error }, 'releasing expired holds failed'))
      .finally(() => (sweeping = false));
  }, config.reservations.sweepIntervalMs);
  sweep.unref();

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    clearInterval(sweep);
    const force = setTimeout(() => process.exit(1), config.drainGraceMs + 5000);
    force.unref();
    server
      .shutdown()
      .then(() => database.close())
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
  process.stdout.write(`${JSON.stringify({ event: 'listening', service: 'billing', address: server.address })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`billing failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
