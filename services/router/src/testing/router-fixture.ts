// Test support: a router started in process over real gRPC, with fake adapters and a fake billing.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHeuristicClassifier } from '@switchyard/classifier';
import { channelCredentialsFromFiles, createApiKeyStore, createLogger, serverCredentialsFromFiles } from '@switchyard/grpc-kit';
import { createApiKeyClient, createRouterClient, type ApiKeyServiceClient, type RouterServiceClient } from '@switchyard/sdk';
import { routerConfigSchema, type RouterConfig } from '../config';
import { startRouter, type RunningRouter, type StartRouterOptions } from '../router-server';
import { startFakeBilling, type FakeBilling } from './fake-billing-service';
import { startFakeProvider, type FakeProvider } from './fake-provider-service';
import type { TestPki } from './test-pki';

/** The policy the router tests route by: a cheap model, a strong one, and a second cheap deployment. */
export const TEST_POLICY = `
version: 1
difficultySlope: 3
qualityPriors:
  anthropic/claude-sonnet-4-5: { default: 0.97 }
  openai/gpt-4.1-nano: { default: 0.75 }
teams:
  acme:
    models: [anthropic/claude-sonnet-4-5, openai/gpt-4.1-nano]
    qualityTarget: 0.8
    safetyModels: [anthropic/claude-sonnet-4-5]
    baselineModel: anthropic/claude-sonnet-4-5
    aliases:
      switchyard/best: { pin: anthropic/claude-sonnet-4-5 }
  broke:
    models: [anthropic/claude-sonnet-4-5, openai/gpt-4.1-nano]
    baselineModel: anthropic/claude-sonnet-4-5
`;

/** A running fixture. */
export interface RouterFixture {
  dir: string;
  router: RunningRouter;
  billing: FakeBilling;
  /** gpt-4.1-nano at deployment cheap-a and cheap-b; claude-sonnet-4-5 at strong-a. */
  cheapA: FakeProvider;
  cheapB: FakeProvider;
  strong: FakeProvider;
  secrets: { acme: string; broke: string; admin: string; stranger: string };
  client: RouterServiceClient;
  clientFor(secret: string): RouterServiceClient;
  admin: ApiKeyServiceClient;
  close(): Promise<void>;
}

/** Starts the fixture; `configure` may change the config before the router starts. */
export async function startRouterFixture(
  options: {
    policy?: string;
    configure?: (config: Record<string, unknown>) => void;
    startOptions?: StartRouterOptions;
    /** Mutual TLS everywhere: the fakes require the router's client certificate, the router requires its callers'. */
    tls?: TestPki;
  } = {},
): Promise<RouterFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'router-fixture-'));
  const pki = options.tls;
  const credentials = pki ? serverCredentialsFromFiles({ certFile: pki.serverCert, keyFile: pki.serverKey, clientCaFile: pki.caCert }) : undefined;
  const clientTls = pki ? { caFile: pki.caCert, certFile: pki.clientCert, keyFile: pki.clientKey } : undefined;
  const keyFile = join(dir, 'api-keys.json');
  const policyFile = join(dir, 'policy.yaml');
  writeFileSync(policyFile, options.policy ?? TEST_POLICY);
  const keys = createApiKeyStore({ file: keyFile });
  const secrets = {
    acme: keys.issue('acme', 'team', 'acme tests').secret,
    broke: keys.issue('broke', 'team').secret,
    admin: keys.issue('ops', 'admin').secret,
    stranger: keys.issue('stranger', 'team').secret,
  };
  const service = keys.issue('router', 'service').secret;

  const [cheapA, cheapB, strong, billing] = await Promise.all([
    startFakeProvider({ provider: 'openai', deployment: 'cheap-a', models: [{ id: 'gpt-4.1-nano' }], credentials }),
    startFakeProvider({ provider: 'openai', deployment: 'cheap-b', models: [{ id: 'gpt-4.1-nano' }], credentials }),
    startFakeProvider({ provider: 'anthropic', deployment: 'strong-a', models: [{ id: 'claude-sonnet-4-5', vision: true }], credentials }),
    startFakeBilling({ credentials }),
  ]);
  billing.state.budgets.set('broke', 1n);

  const raw: Record<string, unknown> = {
    listen: '127.0.0.1:0',
    keyFile,
    policyFile,
    adapters: [
      { name: 'cheap-a', address: cheapA.address, tls: clientTls },
      { name: 'cheap-b', address: cheapB.address, tls: clientTls },
      { name: 'strong-a', address: strong.address, tls: clientTls },
    ],
    billing: { address: billing.address, apiKey: service, reserveTimeoutMs: 500, priceRefreshMs: 60_000, tls: clientTls },
    tls: pki ? { certFile: pki.serverCert, keyFile: pki.serverKey, clientCaFile: pki.caCert } : undefined,
    outbox: { dir: join(dir, 'outbox'), lingerMs: 2, retryInitialMs: 20, retryMaxMs: 200 },
    budget: { failureMode: 'failOpen', breakerThreshold: 3, breakerHalfOpenMs: 200 },
    circuit: { consecutiveFailures: 3, halfOpenAfterMs: 300 },
    catalog: { refreshMs: 100, timeoutMs: 500 },
    firstByteTimeoutMs: 2000,
    classifier: { kind: 'heuristic' },
    latency: { minSamples: 5 },
  };
  options.configure?.(raw);
  const config: RouterConfig = routerConfigSchema.parse(raw);
  const router = await startRouter(config, {
    logger: createLogger({ service: 'router-test', level: 'silent' }),
    classifier: createHeuristicClassifier(),
    ...options.startOptions,
  });
  const clients: Array<{ close(): void }> = [];
  const callerTls = pki ? { credentials: channelCredentialsFromFiles({ caFile: pki.caCert, certFile: pki.clientCert, keyFile: pki.clientKey }) } : {};
  const clientFor = (secret: string) => {
    const client = createRouterClient(router.address, { apiKey: secret, ...callerTls });
    clients.push(client);
    return client;
  };
  const admin = createApiKeyClient(router.address, { apiKey: secrets.admin, ...callerTls });
  clients.push(admin);
  return {
    dir,
    router,
    billing,
    cheapA,
    cheapB,
    strong,
    secrets,
    client: clientFor(secrets.acme),
    clientFor,
    admin,
    async close() {
      for (const client of clients) client.close();
      await router.shutdown({ graceMs: 200, flushMs: 2000 });
      await Promise.all([cheapA.close(), cheapB.close(), strong.close(), billing.stop()]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
