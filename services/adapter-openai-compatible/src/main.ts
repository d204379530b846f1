// Composition root of adapter-openai-compatible: telemetry first (it must patch @grpc/grpc-js and node:http
// before they load), then config → optional key → SDK client → gRPC server; SIGTERM → drain → flush telemetry.
import { telemetry } from '@switchyard/telemetry/register';
import { runAdapterMain } from '@switchyard/provider-kit';
import { startCompatibleAdapter } from './compatible-adapter';
import { loadCompatibleAdapterConfig } from './config';

// Only the router calls an adapter: the team/project baggage it sends is trusted and lands on every span here.
telemetry.setIncomingBaggage('trust');
runAdapterMain<ReturnType<typeof loadCompatibleAdapterConfig>, string | undefined>({
  name: 'adapter-openai-compatible',
  loadConfig: loadCompatibleAdapterConfig,
  requireApiKey: (config) => config.requireApiKey,
  start: startCompatibleAdapter,
  flushTelemetry: () => telemetry.shutdown(),
});
