// Composition root of adapter-openai: telemetry first (it must patch @grpc/grpc-js and node:http before
// they load), then config → provider key → SDK client → gRPC server; SIGTERM → drain → flush telemetry.
import { telemetry } from '@switchyard/telemetry/register';
import { runAdapterMain } from '@switchyard/provider-kit';
import { loadOpenAIAdapterConfig } from './config';
import { startOpenAIAdapter } from './openai-adapter';

// Only the router calls an adapter: the team/project baggage it sends is trusted and lands on every span here.
telemetry.setIncomingBaggage('trust');
runAdapterMain({
  name: 'adapter-openai',
  loadConfig: loadOpenAIAdapterConfig,
  start: startOpenAIAdapter,
  flushTelemetry: () => telemetry.shutdown(),
});
