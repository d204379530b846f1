import { provider } from '@switchyard/contracts';
import { createApiKeyAuthenticator, createApiKeyStore, startGrpcServer, type Logger, type RunningGrpcServer } from '@switchyard/grpc-kit';
import type { ProviderServiceImplementation } from '@switchyard/sdk';

/** The ErrorInfo domain of every adapter's errors (the ProviderService contract names it). */
export const PROVIDER_ERROR_DOMAIN = 'provider.switchyard.dev';

/** Options of {@link startProviderServer}. */
export interface ProviderServerOptions {
  /** Service name for logs and health, e.g. `adapter-openai`. */
  name: string;
  /** `host:port`; port 0 picks a free one. */
  listen: string;
  implementation: ProviderServiceImplementation;
  /** A grpc-kit key file; when given, every call must present one of its keys (the router's service key). */
  apiKeysFile?: string;
  logger?: Logger;
  /** How long shutdown waits for in-flight calls, ms. */
  drainGraceMs?: number;
}

/** Serves a ProviderService implementation on grpc-kit (health, reflection, error mapping, drain). */
export function startProviderServer(options: ProviderServerOptions): Promise<RunningGrpcServer> {
  return startGrpcServer({
    name: options.name,
    address: options.listen,
    errorDomain: PROVIDER_ERROR_DOMAIN,
    services: [{ service: provider.ProviderService, implementation: options.implementation }],
    ...(options.apiKeysFile ? { authenticate: createApiKeyAuthenticator(createApiKeyStore({ file: options.apiKeysFile })) } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.drainGraceMs !== undefined ? { drainGraceMs: options.drainGraceMs } : {}),
  });
}
