/**
 * The router's composition root: starts telemetry first (OTEL_* variables; it must patch
 * @grpc/grpc-js before anything loads it), reads the config once (file named by `--config`,
 * SWITCHYARD_ROUTER_CONFIG or SWITCHYARD_CONFIG_FILE, then SWITCHYARD_* overrides), starts the router, prints one JSON line
 * `{"event":"listening","address":...}` on stdout once serving, and shuts down gracefully on
 * SIGTERM/SIGINT (drain calls, flush the usage outbox, flush telemetry, exit), with a forced exit behind it.
 */
import { telemetry } from '@switchyard/telemetry/register';
import { loadConfig } from '@switchyard/config';
import { createLogger } from '@switchyard/grpc-kit';
import { routerConfigSchema } from './config';
import { startRouter } from './router-server';

async function main(): Promise<void> {
  const flag = process.argv.indexOf('--config');
  const file = flag > 0 ? process.argv[flag + 1] : process.env['SWITCHYARD_ROUTER_CONFIG'] || process.env['SWITCHYARD_CONFIG_FILE'] || undefined;
  const config = loadConfig(routerConfigSchema, { file, env: process.env, envPrefix: 'SWITCHYARD_' });
  const logger = createLogger({ service: 'router', level: config.logLevel });
  // Incoming baggage stays dropped (the default): callers must not choose the team that is charged.
  const running = await startRouter(config, { logger, metrics: telemetry.metrics, meter: telemetry.meter });

  let signalled = false;
  const stop = (signal: string) => {
    if (signalled) return;
    signalled = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      logger.error('shutdown took too long; exiting (undelivered usage stays in the outbox)');
      process.exit(1);
    }, 30_000);
    force.unref();
    running
      .shutdown({ graceMs: 10_000, flushMs: 5_000 })
      .then(() => telemetry.shutdown()) // last: exports the spans and metrics of the drained calls
      .then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // Announced only once the signal handlers are in place, so a supervisor's SIGTERM always drains.
  process.stdout.write(`${JSON.stringify({ event: 'listening', address: running.address })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`router failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
