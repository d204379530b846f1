import { create, type JsonObject } from '@bufbuild/protobuf';
import { BinaryReader, BinaryWriter } from '@bufbuild/protobuf/wire';
import * as grpc from '@grpc/grpc-js';
import { billing, evaluator, provider, router, common } from '@switchyard/contracts';
import {
  chatMessage,
  createProviderClient,
  messageText,
  SwitchyardError,
  type ProviderServiceImplementation,
  type ServerCallContext,
} from '@switchyard/sdk';
import { Writable } from 'node:stream';
import { createApiKeyAuthenticator, createApiKeyStore } from './api-keys';
import { checkHealth } from './health-client';
import { createLogger } from './logger';
import { startGrpcServer, type RunningGrpcServer } from './server';
import { invalidArgument, resourceExhausted } from './service-failure';

/** A test ProviderService whose behaviour each test steers through the request's model name. */
function createTestProvider(seen: { deadlineMs?: number; aborted?: boolean; release?: () => void }): ProviderServiceImplementation {
  return {
    async generate(request, context) {
      seen.deadlineMs = context.remainingMs();
      if (request.model === 'bad') throw invalidArgument('model', 'unknown model "bad"');
      if (request.model === 'poor') throw resourceExhausted('budget spent', { reason: 'BUDGET_EXHAUSTED', retryDelayMs: 1500, quotaViolations: [{ subject: 'team:a', description: 'daily budget' }] });
      if (request.model === 'crash') throw new Error('secret internal detail');
      if (request.model === 'slow') {
        await new Promise<void>((resolve) => {
          seen.release = resolve;
          context.signal.addEventListener('abort', () => {
            seen.aborted = true;
            resolve();
          });
        });
      }
      return { message: chatMessage('assistant', `echo: ${messageText(request.messages[0])}`), usage: { inputTokens: 3n, outputTokens: 2n }, responseModel: request.model };
    },
    async *streamGenerate(request, context: ServerCallContext) {
      for (let i = 0; i < 3; i++) {
        if (context.signal.aborted) return;
        yield { event: { case: 'delta', value: { text: `chunk${i} ` } } };
      }
      yield { event: { case: 'final', value: { usage: { inputTokens: 1n, outputTokens: 3n }, responseModel: request.model } } };
    },
    async listModels() {
      return { models: [] };
    },
  };
}

describe('startGrpcServer with the generated SDK client', () => {
  const seen: { deadlineMs?: number; aborted?: boolean; release?: () => void } = {};
  let server: RunningGrpcServer;
  let client: ReturnType<typeof createProviderClient>;
  const logLines: string[] = [];

  beforeAll(async () => {
    const destination = new Writable({ write: (chunk, _enc, cb) => (logLines.push(String(chunk)), cb()) });
    server = await startGrpcServer({
      name: 'test-provider',
      address: '127.0.0.1:0',
      errorDomain: 'test.switchyard.dev',
      services: [{ service: provider.ProviderService, implementation: createTestProvider(seen) }],
      logger: createLogger({ service: 'test', destination }),
    });
    client = createProviderClient(server.address);
  });
  afterAll(async () => {
    client.close();
    await server.shutdown(100);
  });

  it('calls a unary method', async () => {
    const response = await client.generate({ model: 'm', messages: [chatMessage('user', 'hello')] });
    expect(messageText(response.message)).toBe('echo: hello');
    expect(response.usage?.inputTokens).toBe(3n);
  });

  it('streams a server-streaming method in order', async () => {
    const events: string[] = [];
    for await (const event of client.streamGenerate({ model: 'm', messages: [chatMessage('user', 'x')] })) {
      events.push(event.event.case === 'delta' ? event.event.value.text : `final:${event.event.value?.usage?.outputTokens}`);
    }
    expect(events).toEqual(['chunk0 ', 'chunk1 ', 'chunk2 ', 'final:3']);
  });

  it('propagates the deadline to the server', async () => {
    await client.generate({ model: 'm' }, { timeoutMs: 300 });
    expect(seen.deadlineMs).toBeGreaterThan(0);
    expect(seen.deadlineMs).toBeLessThanOrEqual(300);
  });

  it('cancels the server handler when the caller aborts', async () => {
    seen.aborted = false;
    const controller = new AbortController();
    const pending = client.generate({ model: 'slow' }, { signal: controller.signal });
    await new Promise((resolve) => setTimeout(resolve, 50));
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: grpc.status.CANCELLED });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen.aborted).toBe(true);
  });

  it('delivers a thrown ServiceFailure with its code, ErrorInfo and BadRequest', async () => {
    const error = await client.generate({ model: 'bad' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SwitchyardError);
    const failure = error as SwitchyardError;
    expect(failure.codeName).toBe('INVALID_ARGUMENT');
    expect(failure.message).toContain('model');
    expect(failure.details.errorInfo).toMatchObject({ reason: 'INVALID_FIELD', domain: 'test.switchyard.dev' });
    expect(failure.details.badRequest?.fieldViolations[0]?.field).toBe('model');
  });

  it('delivers QuotaFailure and RetryInfo for RESOURCE_EXHAUSTED', async () => {
    const failure = (await client.generate({ model: 'poor' }).catch((e: unknown) => e)) as SwitchyardError;
    expect(failure.codeName).toBe('RESOURCE_EXHAUSTED');
    expect(failure.reason).toBe('BUDGET_EXHAUSTED');
    expect(failure.retryDelayMs).toBe(1500);
    expect(failure.details.quotaFailure?.violations[0]?.subject).toBe('team:a');
  });

  it('answers bytes that are not the request message with INVALID_ARGUMENT naming the problem, not INTERNAL', async () => {
    const raw = new grpc.Client(server.address, grpc.credentials.createInsecure());
    const call = (bytes: Uint8Array) =>
      new Promise<grpc.ServiceError>((resolve) =>
        raw.makeUnaryRequest('/switchyard.provider.v1.ProviderService/Generate', (b: Buffer) => b, (b: Buffer) => b, Buffer.from(bytes), (error) => resolve(error!)),
      );
    // field 2 (messages): a ChatMessage whose text part holds invalid UTF-8
    const badText = new BinaryWriter().tag(2, 2).bytes(new BinaryWriter().tag(2, 2).bytes(new BinaryWriter().tag(1, 2).bytes(Uint8Array.from([0xc3, 0x28])).finish()).finish()).finish();
    const truncated = Uint8Array.from([0x12, 0x40, 0x01]);
    try {
      for (const [bytes, words] of [
        [badText, /invalid UTF-8/],
        [truncated, /not valid protobuf/],
      ] as const) {
        const error = await call(bytes);
        expect(error.code).toBe(grpc.status.INVALID_ARGUMENT);
        expect(error.details).toMatch(/^request is not a valid switchyard\.provider\.v1\.GenerateRequest: /);
        expect(error.details).toMatch(words);
      }
      // a Struct nested past the decoder's recursion limit
      let schema: JsonObject = { type: 'string' };
      for (let i = 0; i < 60; i++) schema = { type: 'object', properties: { a: schema } };
      const deep = (await client.generate({ model: 'm', params: { tools: [{ name: 'deep', parametersSchema: schema }] } }).catch((e: unknown) => e)) as SwitchyardError;
      expect(deep.codeName).toBe('INVALID_ARGUMENT');
      expect(deep.reason).toBe('MALFORMED_REQUEST');
      expect(deep.message).toMatch(/nested more than 100 levels/);
    } finally {
      raw.close();
    }
  });

  it('hides internal errors from the client but logs them', async () => {
    const failure = (await client.generate({ model: 'crash' }).catch((e: unknown) => e)) as SwitchyardError;
    expect(failure.codeName).toBe('INTERNAL');
    expect(failure.message).toBe('internal error');
    expect(logLines.join('')).toContain('secret internal detail');
  });
});

describe('graceful shutdown', () => {
  it('flips health to NOT_SERVING, lets in-flight calls finish, then stops', async () => {
    const seen: { release?: () => void } = {};
    const server = await startGrpcServer({
      name: 'drain-test',
      address: '127.0.0.1:0',
      errorDomain: 'test.switchyard.dev',
      services: [{ service: provider.ProviderService, implementation: createTestProvider(seen) }],
      logger: createLogger({ service: 'test', level: 'silent' }),
    });
    const client = createProviderClient(server.address);
    expect(await checkHealth(server.address)).toBe('SERVING');
    const inFlight = client.generate({ model: 'slow', messages: [chatMessage('user', 'keep me')] });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server.inFlight()).toBe(1);
    const stopped = server.shutdown(5000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await checkHealth(server.address)).toBe('NOT_SERVING');
    seen.release?.();
    const response = await inFlight;
    expect(messageText(response.message)).toBe('echo: keep me');
    await stopped;
    client.close();
  });
});

describe('authentication hook', () => {
  it('refuses calls without a valid key and admits a valid one', async () => {
    const store = createApiKeyStore({ keys: [] });
    const issued = store.issue('team-a', 'team');
    const server = await startGrpcServer({
      name: 'auth-test',
      address: '127.0.0.1:0',
      errorDomain: 'test.switchyard.dev',
      services: [{ service: provider.ProviderService, implementation: createTestProvider({}) }],
      authenticate: createApiKeyAuthenticator(store),
      logger: createLogger({ service: 'test', level: 'silent' }),
    });
    const anonymous = createProviderClient(server.address);
    const wrong = createProviderClient(server.address, { apiKey: 'sy_0000000000_wrongwrongwrongwrongwrong' });
    const good = createProviderClient(server.address, { apiKey: issued.secret });
    await expect(anonymous.generate({ model: 'm' })).rejects.toMatchObject({ codeName: 'UNAUTHENTICATED', reason: 'API_KEY_MISSING' });
    await expect(wrong.generate({ model: 'm' })).rejects.toMatchObject({ codeName: 'UNAUTHENTICATED', reason: 'API_KEY_INVALID' });
    await expect(good.generate({ model: 'm' })).resolves.toBeDefined();
    store.revoke(issued.key.keyId);
    await expect(good.generate({ model: 'm' })).rejects.toMatchObject({ codeName: 'UNAUTHENTICATED' });
    for (const c of [anonymous, wrong, good]) c.close();
    await server.shutdown(100);
  });
});

/** Lists services over grpc.reflection.v1 with hand-encoded messages (list_services = field 7). */
function listServicesByReflection(address: string): Promise<string[]> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  return new Promise((resolve, reject) => {
    const call = client.makeBidiStreamRequest(
      '/grpc.reflection.v1.ServerReflection/ServerReflectionInfo',
      (value: Uint8Array) => Buffer.from(value),
      (bytes: Buffer) => bytes,
    );
    call.on('data', (bytes: Buffer) => {
      const names: string[] = [];
      const reader = new BinaryReader(bytes);
      while (reader.pos < reader.len) {
        const [field, wireType] = reader.tag();
        if (field !== 6) {
          reader.skip(wireType);
          continue;
        }
        const list = new BinaryReader(reader.bytes());
        while (list.pos < list.len) {
          const [f, w] = list.tag();
          if (f !== 1) {
            list.skip(w);
            continue;
          }
          const serviceResponse = new BinaryReader(list.bytes());
          serviceResponse.tag(); // ServiceResponse.name = 1
          names.push(serviceResponse.string());
        }
      }
      call.end();
      client.close();
      resolve(names);
    });
    call.on('error', reject);
    call.write(new BinaryWriter().tag(7, 2).string('').finish());
  });
}

describe('reflection', () => {
  it('lists every Switchyard service a server hosts', async () => {
    const unimplemented = (service: { methods: { localName: string }[] }) =>
      Object.fromEntries(service.methods.map((m) => [m.localName, async () => ({})]));
    const services = [router.RouterService, router.ApiKeyService, provider.ProviderService, billing.BillingService, evaluator.EvaluatorService];
    const server = await startGrpcServer({
      name: 'reflection-test',
      address: '127.0.0.1:0',
      errorDomain: 'test.switchyard.dev',
      services: services.map((service) => ({ service, implementation: unimplemented(service) })),
      logger: createLogger({ service: 'test', level: 'silent' }),
    });
    const names = await listServicesByReflection(server.address);
    expect(names.sort()).toEqual(services.map((s) => s.typeName).sort());
    expect(create(common.ModelRefSchema, {}).$typeName).toBe('switchyard.common.v1.ModelRef');
    await server.shutdown(100);
  });
});
