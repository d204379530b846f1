import { readProviderKey } from './adapter-config';

type AdapterConfigShape = { upstream: { apiKeyFile?: string; apiKeyEnv?: string } };

/**
 * What every adapter's composition root needs from its own code. `Key` is `string` for an upstream
 * that always needs a key, `string | undefined` for one that may not (with `requireApiKey`).
 */
export interface AdapterMainOptions<Config extends AdapterConfigShape, Key extends string | undefined = string> {
  /** The service name used in fatal messages, e.g. `adapter-openai`. */
  name: string;
  /** Reads the adapter's config once (from the environment and its file). */
  loadConfig(env: NodeJS.ProcessEnv): Config;
  /** Whether the upstream needs a key (default true; in-house servers often need none). Only with `Key` allowing undefined. */
  requireApiKey?(config: Config): boolean;
  /** Builds the SDK client and starts the gRPC server. */
  start(input: { config: Config; apiKey: Key }): Promise<{ shutdown(): Promise<void> }>;
  /** Flushes telemetry; runs last, after the drain, so the drained calls' spans are exported. */
  flushTelemetry(): Promise<void>;
}

/**
 * Runs an adapter process: config → provider key → server; SIGTERM/SIGINT → drain → flush
 * telemetry → exit 0 (1 when the drain fails). A start-up failure prints one line and exits 1.
 * The caller imports `@switchyard/telemetry/register` before anything else (it must patch
 * @grpc/grpc-js and node:http before they load) and passes its flush here.
 */
export function runAdapterMain<Config extends AdapterConfigShape, Key extends string | undefined = string>(options: AdapterMainOptions<Config, Key>): void {
  const fail = (what: string, error: unknown) => {
    console.error(`${options.name} ${what}: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  };
  const main = async () => {
    const config = options.loadConfig(process.env);
    const { apiKeyFile, apiKeyEnv } = config.upstream;
    // readProviderKey returns a string whenever the key is required, so this is `Key` either way.
    const apiKey = readProviderKey(
      { file: apiKeyFile, envName: apiKeyEnv, envValue: apiKeyEnv ? process.env[apiKeyEnv] : undefined },
      options.requireApiKey?.(config) ?? true,
    ) as Key;
    const server = await options.start({ config, apiKey });
    const stop = () =>
      void server
        .shutdown()
        .then(() => options.flushTelemetry())
        .then(
          () => process.exit(0),
          (error: unknown) => fail('shutdown failed', error),
        );
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  };
  main().catch((error: unknown) => fail('failed to start', error));
}
