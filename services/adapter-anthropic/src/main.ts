// Composition root of adapter-anthropic: telemetry first (it must patch @grpc/grpc-js and fetch before
// they load), then config → provider key → SDK client → gRPC server; SIGTERM → drain → flush telemetry.
import { telemetry } from '@switchyard/telemetry/register';
import { readProviderKey } from '@switchyard/provider-kit';
import { loadAnthropicAdapterConfig } from './config';
import { startAnthropicAdapter } from './anthropic-adapter';

async function main(): Promise<void> {
  // Only the router calls an adapter: the team/project baggage it sends is trusted and lands on every span here.
  telemetry.setIncomingBaggage('trust');
  const config = loadAnthropicAdapterConfig(process.env);
  const { apiKeyFile, apiKeyEnv } = config.upstream;
  const apiKey = readProviderKey({ file: apiKeyFile, envName: apiKeyEnv, envValue: process.env[apiKeyEnv] });
  const server = await startAnthropicAdapter({ config, apiKey });
  const stop = () =>
    void server
      .shutdown()
      .then(() => telemetry.shutdown()) // last: flushes the spans and metrics of the drained calls
      .then(
        () => process.exit(0),
        (error: unknown) => {
          console.error(`adapter-anthropic shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
          process.exit(1);
        },
      );
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  console.error(`adapter-anthropic failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
