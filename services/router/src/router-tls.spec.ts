import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials as grpcCredentials } from '@grpc/grpc-js';
import { channelCredentialsFromFiles } from '@switchyard/grpc-kit';
import { chatMessage, createRouterClient, SwitchyardError } from '@switchyard/sdk';
import { routerConfigSchema } from './config';
import { startRouterFixture, type RouterFixture } from './testing/router-fixture';
import { createTestPki, type TestPki } from './testing/test-pki';

// The router with mutual TLS on its port and on every call it makes (adapters and billing require the
// router's client certificate here): the right certificate gets through, a wrong one is refused at the
// handshake, before any call is read; TLS does not replace the API key.
describe('router with mutual TLS', () => {
  let dir: string;
  let pki: TestPki;
  let f: RouterFixture;
  const opened: Array<{ close(): void }> = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'router-tls-'));
    pki = createTestPki(dir);
    f = await startRouterFixture({ tls: pki });
  });
  afterAll(async () => {
    for (const c of opened) c.close();
    await f?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const ask = { messages: [chatMessage('user', 'hi, how are you?')] };
  const callerWith = (options: Parameters<typeof createRouterClient>[1]) => {
    const client = createRouterClient(f.router.address, options);
    opened.push(client);
    return client;
  };
  const outcome = (call: Promise<unknown>) =>
    call.then(
      () => 'OK',
      (error: unknown) => (error instanceof SwitchyardError ? error.codeName : String(error)),
    );

  it('serves a caller with a CA-signed certificate, calling adapters and billing over mutual TLS', async () => {
    const response = await f.client.generate({ ...ask, context: { requestId: 'tls-ok' } }, { timeoutMs: 10_000 });
    expect(response.route?.chosen?.deployment).toBe('cheap-a');
    expect(f.cheapA.calls.at(-1)?.requestId).toBe('tls-ok');
    expect(f.billing.state.calls.reserveBudget).toBeGreaterThan(0);
    expect(await f.router.shipper.drain(5000)).toBe(true);
    expect(f.billing.state.ledger.has('tls-ok')).toBe(true);
  });

  it('refuses a client certificate from another CA, no certificate, and plaintext, before any call is read', async () => {
    const calls = f.cheapA.calls.length + f.cheapB.calls.length + f.strong.calls.length;
    const rogue = callerWith({ apiKey: f.secrets.acme, credentials: channelCredentialsFromFiles({ caFile: pki.caCert, certFile: pki.rogueClientCert, keyFile: pki.rogueClientKey }) });
    const anonymous = callerWith({ apiKey: f.secrets.acme, credentials: channelCredentialsFromFiles({ caFile: pki.caCert }) });
    const plaintext = callerWith({ apiKey: f.secrets.acme, credentials: grpcCredentials.createInsecure() });
    for (const client of [rogue, anonymous, plaintext]) {
      expect(await outcome(client.generate(ask, { timeoutMs: 3000 }))).toBe('UNAVAILABLE');
    }
    expect(f.cheapA.calls.length + f.cheapB.calls.length + f.strong.calls.length).toBe(calls);
  });

  it('still requires the API key from a caller with the right certificate', async () => {
    const keyless = callerWith({ credentials: channelCredentialsFromFiles({ caFile: pki.caCert, certFile: pki.clientCert, keyFile: pki.clientKey }) });
    expect(await outcome(keyless.generate(ask, { timeoutMs: 3000 }))).toBe('UNAUTHENTICATED');
  });

  it('refuses a client TLS config with a certificate but no key, naming the key', () => {
    const result = routerConfigSchema.safeParse({
      keyFile: 'k',
      policyFile: 'p',
      billing: { address: '127.0.0.1:1', apiKey: 'x', tls: { caFile: 'ca.pem', certFile: 'client.pem' } },
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['billing', 'tls', 'keyFile']);
  });
});
