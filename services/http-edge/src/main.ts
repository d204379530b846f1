// Composition root of the HTTP edge: telemetry first (it must patch node:http and @grpc/grpc-js
// before they load), then config once, the router client, and the listener.
import { telemetry } from '@switchyard/telemetry/register';
import { loadConfig } from '@switchyard/config';
import { channelCredentialsFromFiles, checkHealth, createLogger, tlsChannelOptions } from '@switchyard/grpc-kit';
import { createRouterClient } from '@switchyard/sdk';
import { httpEdgeConfigSchema } from './edge-config';
import { startHttpEdge } from './edge-server';

async function main(): Promise<void> {
  const configFlag = process.argv.indexOf('--config');
  const file = configFlag >= 0 ? process.argv[configFlag + 1] : process.env['SWITCHYARD_HTTP_EDGE_CONFIG'];
  const config = loadConfig(httpEdgeConfigSchema, { file, env: process.env, envPrefix: 'SWITCHYARD_' });
  const logger = createLogger({ service: 'http-edge', level: config.logLevel });
  const tls = config.router.tls;
  const credentials = tls ? channelCredentialsFromFiles(tls) : undefined;
  const channelOptions = tls ? tlsChannelOptions(tls) : undefined;
  // No API key on the channel: every call carries the caller's own key as metadata.
  const router = createRouterClient(config.router.address, { credentials, channelOptions });
  const edge = await startHttpEdge({
    router,
    listen: config.listen,
    logger,
    requestTimeoutMs: config.router.requestTimeoutMs,
    listModelsTimeoutMs: config.router.listModelsTimeoutMs,
    maxBodyBytes: config.maxBodyBytes,
    drainGraceMs: config.drainGraceMs,
    readiness: async () => (await checkHealth(config.router.address, '', 1000, credentials, channelOptions)) === 'SERVING',
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    setTimeout(() => process.exit(1), config.drainGraceMs + 5000).unref();
    void edge
      .close()
      .then(() => router.close())
      .then(() => telemetry.shutdown()) // last: flushes the spans of the drained requests
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
  process.stdout.write(JSON.stringify({ event: 'listening', address: edge.url, service: 'http-edge' }) + '\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`http-edge failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
