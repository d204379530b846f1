import { provider } from '@switchyard/contracts';
import {
  createApiKeyAuthenticator,
  createApiKeyStore,
  permissionDenied,
  serverCredentialsFromFiles,
  startGrpcServer,
  type Logger,
  type RunningGrpcServer,
  type ServerTlsFiles,
} from '@switchyard/grpc-kit';
import type { Principal, ProviderServiceImplementation, ServerCallContext } from '@switchyard/sdk';

/** The ErrorInfo domain of every adapter's errors (the ProviderService contract names it). */
export const PROVIDER_ERROR_DOMAIN = 'provider.switchyard.dev';

/** Options of {@link startProviderServer}. */
export interface ProviderServerOptions {
  /** Service name for logs and health, e.g. `adapter-openai`. */
  name: string;
  /** `host:port`; port 0 picks a free one. */
  listen: string;
  implementation: ProviderServiceImplementation;
  /**
   * A grpc-kit key file; when given, every call must present a `service` or `admin` key from it (the
   * router's service key). Team keys are refused: a team calling an adapter directly would bypass
   * routing, budgets and billing.
   */
  apiKeysFile?: string;
  logger?: Logger;
  /** How long shutdown waits for in-flight calls, ms. */
  drainGraceMs?: number;
  /** TLS for the port (mutual TLS when it names a client CA); plaintext when absent. */
  tls?: ServerTlsFiles;
}

/** Accepts the store's keys whose role is `service` or `admin`; a team key is PERMISSION_DENIED. */
export function createServiceKeyAuthenticator(apiKeysFile: string): (context: ServerCallContext) => Principal {
  const authenticate = createApiKeyAuthenticator(createApiKeyStore({ file: apiKeysFile }));
  return (context) => {
    const principal = authenticate(context);
    if (principal.role === 'team') {
      throw permissionDenied('adapters serve the router, not teams: call the router with a team key (an adapter needs a service key)', 'SERVICE_KEY_REQUIRED');
    }
    return principal;
  };
}

/** Serves a ProviderService implementation on grpc-kit (health, reflection, error mapping, drain). */
export function startProviderServer(options: ProviderServerOptions): Promise<RunningGrpcServer> {
  return startGrpcServer({
    name: options.name,
    address: options.listen,
    errorDomain: PROVIDER_ERROR_DOMAIN,
    services: [{ service: provider.ProviderService, implementation: options.implementation }],
    ...(options.apiKeysFile ? { authenticate: createServiceKeyAuthenticator(options.apiKeysFile) } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.drainGraceMs !== undefined ? { drainGraceMs: options.drainGraceMs } : {}),
    ...(options.tls ? { credentials: serverCredentialsFromFiles(options.tls) } : {}),
  });
}
