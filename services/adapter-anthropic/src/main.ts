// Composition root of adapter-anthropic: telemetry first (it must patch @grpc/grpc-js and node:http before
// they load), then config → provider key → SDK client → gRPC server; SIGTERM → drain → flush telemetry.
import { telemetry } from '@switchyard/telemetry/register';
import { runAdapterMain } from '@switchyard/provider-kit';
import { loadAnthropicAdapterConfig } from './config';
import { startAnthropicAdapter } from './anthropic-adapter';

// Only the router calls an adapter: the team/project baggage it sends is trusted and lands on every span here.
telemetry.setIncomingBaggage('trust');
runAdapterMain({
  name: 'adapter-anthropic',
  loadConfig: loadAnthropicAdapterConfig,
  start: startAnthropicAdapter,
  flushTelemetry: () => telemetry.shutdown(),
});
