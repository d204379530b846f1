// Composition root of adapter-openai-compatible: config → optional key → SDK client → gRPC server; SIGTERM → drain.
import { readProviderKey } from '@switchyard/provider-kit';
import { startCompatibleAdapter } from './compatible-adapter';
import { loadCompatibleAdapterConfig } from './config';

async function main(): Promise<void> {
  const config = loadCompatibleAdapterConfig(process.env);
  const { apiKeyFile, apiKeyEnv } = config.upstream;
  const apiKey = readProviderKey(
    { file: apiKeyFile, envName: apiKeyEnv, envValue: apiKeyEnv ? process.env[apiKeyEnv] : undefined },
    config.requireApiKey,
  );
  const server = await startCompatibleAdapter({ config, apiKey });
  const stop = () => void server.shutdown().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  console.error(`adapter-openai-compatible failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
