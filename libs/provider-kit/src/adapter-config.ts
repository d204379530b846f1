import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { servedModelConfigSchema } from './served-models';

/**
 * The `upstream` section every adapter config shares. The base URL comes only from here (the
 * operator's config), never from a request: callers cannot point an adapter anywhere (no SSRF).
 */
export const upstreamConfigSchema = z.object({
  /** The provider's API root, e.g. `https://api.openai.com/v1`. */
  baseUrl: z.url({ protocol: /^https?$/ }),
  /** Name of the environment variable holding the provider key. */
  apiKeyEnv: z.string().min(1).optional(),
  /** A file holding the provider key (e.g. a mounted Kubernetes secret); wins over `apiKeyEnv`. */
  apiKeyFile: z.string().min(1).optional(),
  /** Upstream timeout per request, ms (cut further by each call's deadline). */
  timeoutMs: z.number().int().positive().default(120_000),
  /** Extra headers sent on every upstream request (e.g. a gateway's routing header). Never logged. */
  extraHeaders: z.record(z.string(), z.string()).default({}),
});

/** Caller authentication for an adapter (the router presents a service key). Off when no file is named. */
export const adapterAuthConfigSchema = z.object({
  /** A key file in grpc-kit's format (sha256 hashes); when set, every call must present a key. */
  apiKeysFile: z.string().min(1).optional(),
});

/**
 * Optional TLS for the adapter's gRPC port. With `clientCaFile`, callers must present a client
 * certificate signed by that CA (mutual TLS between the router and its adapters).
 */
export const adapterTlsConfigSchema = z.object({
  /** The adapter's certificate chain (PEM). */
  certFile: z.string().min(1),
  /** The adapter's private key (PEM). */
  keyFile: z.string().min(1),
  /** CA bundle (PEM) client certificates must chain to; set it to require them. */
  clientCaFile: z.string().min(1).optional(),
});

/** The fields every adapter config has. */
export const adapterConfigBaseSchema = z.object({
  /** `host:port` to serve gRPC on. */
  listen: z.string().default('127.0.0.1:0'),
  /** Provider name reported in ModelRef, e.g. `openai`, `vllm-qwen`. */
  provider: z.string().min(1),
  /** This deployment's name, e.g. `openai-default`. */
  deployment: z.string().min(1),
  /** The models this deployment serves. */
  models: z.array(servedModelConfigSchema).min(1),
  auth: adapterAuthConfigSchema.default({}),
  /** TLS (and mutual TLS) for the gRPC port; plaintext when absent. */
  tls: adapterTlsConfigSchema.optional(),
  /** How long shutdown waits for in-flight calls, ms. */
  drainGraceMs: z.number().int().nonnegative().default(10_000),
});

/** Where the provider key comes from: a file the operator names, else an environment variable's value. */
export interface ProviderKeySource {
  /** Path of a file holding the key. */
  file?: string;
  /** The environment variable's name (for the error message). */
  envName?: string;
  /** The environment variable's value, read by main.ts. */
  envValue?: string;
}

/**
 * Reads the provider key: the file's trimmed content if a file is named, else the environment
 * value. Throws an error naming where it looked, never the key. `required: false` allows keyless
 * servers (a local Ollama or llama.cpp) and returns undefined.
 */
export function readProviderKey(source: ProviderKeySource): string;
export function readProviderKey(source: ProviderKeySource, required: boolean): string | undefined;
export function readProviderKey(source: ProviderKeySource, required = true): string | undefined {
  if (source.file) {
    const key = readFileSync(source.file, 'utf8').trim();
    if (!key) throw new Error(`provider key file ${source.file} is empty`);
    return key;
  }
  const key = source.envValue?.trim();
  if (key) return key;
  if (!required) return undefined;
  throw new Error(
    source.envName
      ? `no provider key: set ${source.envName} or name a key file in upstream.apiKeyFile`
      : 'no provider key: set upstream.apiKeyEnv or upstream.apiKeyFile',
  );
}
