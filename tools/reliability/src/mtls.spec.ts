// Optional mutual TLS between services, from config: the server verifies client certificates
// against its CA, so a certificate from another CA, a self-signed one, none at all, or plaintext
// is refused during the handshake. Covered: grpc-kit's TLS helpers, an adapter process serving
// mTLS (router → adapter), the HTTP edge calling a router over mTLS (edge → router), and the whole
// chain of processes over mTLS (client → router → adapter, router → billing).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { provider, router } from '@switchyard/contracts';
import { channelCredentialsFromFiles, createApiKeyStore, createLogger, serverCredentialsFromFiles, startGrpcServer, type RunningGrpcServer } from '@switchyard/grpc-kit';
import {
  chatMessage,
  createBillingClient,
  createProviderClient,
  createRouterClient,
  SwitchyardError,
  type ProviderServiceImplementation,
  type RouterServiceImplementation,
} from '@switchyard/sdk';
import { startFakeOpenAI, type FakeUpstream } from '@switchyard/testing';
import { stringify } from 'yaml';
import { startReliabilityStack } from './harness/reliability-stack';
import { reportScenario } from './harness/scenario-report';
import { freePort, startServiceProcess, type ServiceProcess } from './harness/service-process';
import { createTestPki, type TestPki } from './harness/test-certificates';

const unimplemented = () => {
  throw new Error('not used by this test');
};

describe('mTLS: client certificates are verified', () => {
  let dir: string;
  let pki: TestPki;
  const processes: ServiceProcess[] = [];
  const servers: RunningGrpcServer[] = [];
  let upstream: FakeUpstream;
  const outcomes: Record<string, string> = {};

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'reliability-mtls-'));
    pki = createTestPki(dir);
  });

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop(5000)));
    await Promise.all(servers.map((s) => s.shutdown(100)));
    await upstream?.close();
    rmSync(dir, { recursive: true, force: true });
    reportScenario('mtls', outcomes);
  });

  /** ListModels against `address` as a client holding the given files; the status name. */
  const listAs = async (address: string, client: { ca?: string; cert?: string; key?: string } | 'plaintext', apiKey?: string): Promise<string> => {
    const credentials = client === 'plaintext' ? undefined : channelCredentialsFromFiles({ caFile: client.ca ?? pki.caCert, certFile: client.cert, keyFile: client.key });
    const sdk = createProviderClient(address, { credentials, apiKey, timeoutMs: 5000 });
    try {
      await sdk.listModels({});
      return 'OK';
    } catch (error) {
      if (error instanceof SwitchyardError) return error.codeName;
      throw error;
    } finally {
      sdk.close();
    }
  };

  const clients = () => ({
    'the CA-signed client certificate': { cert: pki.clientCert, key: pki.clientKey },
    'a certificate from another CA': { cert: pki.rogueClientCert, key: pki.rogueClientKey },
    'a self-signed certificate': { cert: pki.selfSignedClientCert, key: pki.selfSignedClientKey },
    'no client certificate': {},
    "a client that does not trust the server's CA": { ca: pki.rogueCaCert, cert: pki.clientCert, key: pki.clientKey },
    plaintext: 'plaintext' as const,
  });

  it('grpc-kit server with serverCredentialsFromFiles(clientCaFile): only the CA-signed client gets through', async () => {
    const implementation: ProviderServiceImplementation = { listModels: async () => ({ models: [] }), generate: unimplemented, streamGenerate: unimplemented };
    const server = await startGrpcServer({
      name: 'mtls-test',
      address: '127.0.0.1:0',
      errorDomain: 'test.switchyard.dev',
      services: [{ service: provider.ProviderService, implementation }],
      credentials: serverCredentialsFromFiles({ certFile: pki.serverCert, keyFile: pki.serverKey, clientCaFile: pki.caCert }),
      logger: createLogger({ service: 'mtls-test', level: 'silent' }),
    });
    servers.push(server);
    for (const [label, client] of Object.entries(clients())) {
      const code = await listAs(server.address, client);
      outcomes[`grpc-kit: ${label}`] = code;
      expect(`${label}: ${code}`).toBe(`${label}: ${label === 'the CA-signed client certificate' ? 'OK' : 'UNAVAILABLE'}`);
    }
  });

  it('an adapter process configured with tls.clientCaFile: the router certificate (plus its service key) is served, a wrong certificate is refused', async () => {
    upstream = await startFakeOpenAI({ apiKey: 'sk-mtls-upstream' });
    const keyFile = join(dir, 'api-keys.json');
    const serviceKey = createApiKeyStore({ file: keyFile }).issue('switchyard-router', 'service').secret;
    const configFile = join(dir, 'adapter.yaml');
    const port = await freePort();
    writeFileSync(
      configFile,
      stringify({
        listen: `127.0.0.1:${port}`,
        upstream: { baseUrl: upstream.baseURL, apiKeyEnv: 'OPENAI_API_KEY' },
        models: [{ id: 'gpt-4.1-nano' }],
        auth: { apiKeysFile: keyFile },
        tls: { certFile: pki.serverCert, keyFile: pki.serverKey, clientCaFile: pki.caCert },
      }),
    );
    const adapter = await startServiceProcess({ name: 'adapter-openai-mtls', entry: 'services/adapter-openai/src/main.ts', env: { SWITCHYARD_CONFIG_FILE: configFile, OPENAI_API_KEY: upstream.apiKey } });
    processes.push(adapter);
    for (const [label, client] of Object.entries(clients())) {
      const code = await listAs(adapter.address, client, serviceKey);
      outcomes[`adapter: ${label}`] = code;
      expect(`${label}: ${code}`).toBe(`${label}: ${label === 'the CA-signed client certificate' ? 'OK' : 'UNAVAILABLE'}`);
    }
    // TLS does not replace the API key: the right certificate without a key is still UNAUTHENTICATED.
    expect(await listAs(adapter.address, clients()['the CA-signed client certificate'])).toBe('UNAUTHENTICATED');
    expect(adapter.exited()).toBe(false);
  });

  it('router and billing processes configured with tls.clientCaFile: the whole chain runs over mutual TLS, and a wrong certificate is refused by each', async () => {
    const stack = await startReliabilityStack({ label: 'mtls', teams: ['acme'], adapters: ['openai'], tls: pki });
    const opened: Array<{ close(): void }> = [];
    const holding = (files: { ca?: string; cert?: string; key?: string } | 'plaintext') =>
      files === 'plaintext' ? undefined : channelCredentialsFromFiles({ caFile: files.ca ?? pki.caCert, certFile: files.cert, keyFile: files.key });
    const code = (call: Promise<unknown>) =>
      call.then(
        () => 'OK',
        (error: unknown) => (error instanceof SwitchyardError ? error.codeName : String(error)),
      );
    try {
      const routerAs = (files: Parameters<typeof holding>[0], apiKey: string | null = stack.keys.acme) => {
        const client = createRouterClient(stack.routers[0]!.address, { apiKey: apiKey ?? undefined, credentials: holding(files), timeoutMs: 10_000 });
        opened.push(client);
        return client;
      };
      const billingAs = (files: Parameters<typeof holding>[0]) => {
        const client = createBillingClient(stack.billings[0]!.address, { apiKey: stack.keys.admin, credentials: holding(files), timeoutMs: 10_000 });
        opened.push(client);
        return client;
      };
      // Served end to end: router → adapter and router → billing (the hold, then the usage row) are mTLS hops.
      const good = routerAs(clients()['the CA-signed client certificate']);
      const response = await good.generate({ messages: [chatMessage('user', 'hello over mutual TLS')], context: { requestId: 'mtls-chain-1' } });
      expect(response.route?.chosen?.provider).toBe('openai');
      const rows = await stack.ledger.waitFor('acme', (r) => r.some((row) => row.requestId === 'mtls-chain-1'), 30_000);
      expect(rows.map((r) => r.requestId)).toEqual(['mtls-chain-1']);
      outcomes['router process: the CA-signed client certificate'] = 'OK';
      for (const [label, client] of Object.entries(clients())) {
        if (label === 'the CA-signed client certificate') continue;
        const routerCode = await code(routerAs(client).generate({ messages: [chatMessage('user', 'refused')] }));
        const billingCode = await code(billingAs(client).querySpend({}));
        outcomes[`router process: ${label}`] = routerCode;
        outcomes[`billing process: ${label}`] = billingCode;
        expect(`${label}: ${routerCode} ${billingCode}`).toBe(`${label}: UNAVAILABLE UNAVAILABLE`);
      }
      expect(await code(billingAs(clients()['the CA-signed client certificate']).querySpend({}))).toBe('OK');
      // TLS does not replace the key.
      expect(await code(routerAs(clients()['the CA-signed client certificate'], null).generate({ messages: [chatMessage('user', 'no key')] }))).toBe('UNAUTHENTICATED');
      expect(stack.processes().filter((p) => p.exited())).toEqual([]);
    } finally {
      for (const client of opened) client.close();
      await stack.close();
    }
  });

  it('the HTTP edge with router.tls reaches an mTLS router with its certificate, and not with a wrong one', async () => {
    const implementation: RouterServiceImplementation = {
      listModels: async () => ({ models: [{ info: { ref: { provider: 'openai', model: 'gpt-4.1-nano', deployment: 'openai-default' } }, available: true }], aliases: ['switchyard/auto'] }),
      generate: unimplemented,
      streamGenerate: unimplemented,
      explainRoute: unimplemented,
    };
    const routerServer = await startGrpcServer({
      name: 'mtls-router',
      address: '127.0.0.1:0',
      errorDomain: 'router.switchyard.dev',
      services: [{ service: router.RouterService, implementation }],
      credentials: serverCredentialsFromFiles({ certFile: pki.serverCert, keyFile: pki.serverKey, clientCaFile: pki.caCert }),
      logger: createLogger({ service: 'mtls-router', level: 'silent' }),
    });
    servers.push(routerServer);
    const edgeWith = async (name: string, cert: string, key: string) => {
      const configFile = join(dir, `${name}.yaml`);
      writeFileSync(configFile, stringify({ listen: '127.0.0.1:0', router: { address: routerServer.address, tls: { caFile: pki.caCert, certFile: cert, keyFile: key } }, logLevel: 'warn' }));
      const edge = await startServiceProcess({ name, entry: 'services/http-edge/src/main.ts', env: { SWITCHYARD_HTTP_EDGE_CONFIG: configFile } });
      processes.push(edge);
      return edge;
    };
    const good = await edgeWith('edge-good-cert', pki.clientCert, pki.clientKey);
    const bad = await edgeWith('edge-rogue-cert', pki.rogueClientCert, pki.rogueClientKey);
    const models = await fetch(`${good.address}/v1/models`, { headers: { authorization: 'Bearer sy_0000000000_xxxxxxxxxxxxxxxxxxxxxxxxxxxx' } });
    expect(models.status).toBe(200);
    expect(((await models.json()) as { data: Array<{ id: string }> }).data.map((m) => m.id)).toContain('openai/gpt-4.1-nano');
    expect((await fetch(`${good.address}/readyz`)).status).toBe(200);
    const refused = await fetch(`${bad.address}/v1/models`, { headers: { authorization: 'Bearer sy_0000000000_xxxxxxxxxxxxxxxxxxxxxxxxxxxx' } });
    expect(refused.status).toBe(503);
    expect((await fetch(`${bad.address}/readyz`)).status).toBe(503);
    outcomes['edge → router: CA-signed certificate'] = String(models.status);
    outcomes['edge → router: rogue certificate'] = String(refused.status);
  });
});
