// Composition root of adapter-anthropic: config → provider key → SDK client → gRPC server; SIGTERM → drain.
import { readProviderKey } from '@switchyard/provider-kit';
import { loadAnthropicAdapterConfig } from './config';
import { startAnthropicAdapter } from './anthropic-adapter';

async function main(): Promise<void> {
  const config = loadAnthropicAdapterConfig(process.env);
  const { apiKeyFile, apiKeyEnv } = config.upstream;
  const apiKey = readProviderKey({ file: apiKeyFile, envName: apiKeyEnv, envValue: process.env[apiKeyEnv] });
  const server = await startAnthropicAdapter({ config, apiKey });
  const stop = () => void server.shutdown().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  console.error(`adapter-anthropic failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
