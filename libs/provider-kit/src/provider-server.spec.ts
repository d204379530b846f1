import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiKeyStore, createLogger, type RunningGrpcServer } from '@switchyard/grpc-kit';
import { chatMessage, createProviderClient, SwitchyardError, type ProviderServiceImplementation } from '@switchyard/sdk';
import { startProviderServer } from './provider-server';

const echo: ProviderServiceImplementation = {
  async generate() {
    return { message: chatMessage('assistant', 'ok') };
  },
  async *streamGenerate() {
    yield { event: { case: 'final', value: {} } };
  },
  async listModels() {
    return { models: [] };
  },
};

describe('startProviderServer with a key file', () => {
  let dir: string;
  let server: RunningGrpcServer;
  const keys: Record<'team' | 'service' | 'admin', string> = { team: '', service: '', admin: '' };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'provider-server-'));
    const file = join(dir, 'api-keys.json');
    const store = createApiKeyStore({ file });
    for (const role of ['team', 'service', 'admin'] as const) keys[role] = store.issue(role === 'team' ? 'acme' : 'ops', role).secret;
    server = await startProviderServer({ name: 'adapter-test', listen: '127.0.0.1:0', implementation: echo, apiKeysFile: file, logger: createLogger({ service: 'test', level: 'silent' }) });
  });
  afterAll(async () => {
    await server.shutdown(100);
    rmSync(dir, { recursive: true, force: true });
  });

  const call = async (apiKey?: string) => {
    const client = createProviderClient(server.address, apiKey ? { apiKey } : {});
    try {
      await client.generate({ model: 'm', messages: [chatMessage('user', 'hi')] });
      return 'OK';
    } catch (error) {
      return (error as SwitchyardError).codeName;
    } finally {
      client.close();
    }
  };

  it("serves the router's service key and an admin key", async () => {
    expect(await call(keys.service)).toBe('OK');
    expect(await call(keys.admin)).toBe('OK');
  });

  it('refuses a team key (it would bypass routing, budgets and billing) and a missing key', async () => {
    expect(await call(keys.team)).toBe('PERMISSION_DENIED');
    expect(await call()).toBe('UNAUTHENTICATED');
  });
});
