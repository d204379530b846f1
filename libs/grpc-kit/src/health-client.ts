import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';

const HealthClient = grpc.makeGenericClientConstructor(healthService, 'Health');

/** Asks a server's grpc.health.v1 Check for a service ("" = the whole server); pass `credentials` for a TLS server. */
export function checkHealth(
  address: string,
  service = '',
  timeoutMs = 2000,
  credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
  channelOptions: grpc.ChannelOptions = {},
): Promise<'SERVING' | 'NOT_SERVING' | 'UNKNOWN' | 'SERVICE_UNKNOWN'> {
  const client = new HealthClient(address, credentials, channelOptions);
  return new Promise((resolve, reject) => {
    (client as unknown as { check: (req: object, opts: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r: { status: string }) => void) => void }).check(
      { service },
      { deadline: Date.now() + timeoutMs },
      (error, response) => {
        client.close();
        if (error) reject(error);
        else resolve(response.status as 'SERVING');
      },
    );
  });
}

/** Polls health until the server answers SERVING, or rejects after timeoutMs. */
export async function waitForServing(address: string, timeoutMs = 30_000, service = ''): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if ((await checkHealth(address, service, 1000)) === 'SERVING') return;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${address} did not become SERVING within ${timeoutMs} ms${lastError ? `: ${String(lastError)}` : ''}`);
}
