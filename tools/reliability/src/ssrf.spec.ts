// No SSRF: no request field, header or metadata can change where Switchyard connects. A canary TCP
// server on loopback stands in for an attacker's target (or a metadata service); its address is
// planted in every field, header and metadata entry a caller controls. It must see no connection,
// and the upstream fakes must see only the requests the operator's config points at.
import { createServer, type Server, type Socket } from 'node:net';
import { common } from '@switchyard/contracts';
import { chatMessage, createProviderClient, createRouterClient, SwitchyardError, type RouterServiceClient } from '@switchyard/sdk';
import { startReliabilityStack, type ReliabilityStack } from './harness/reliability-stack';
import { reportScenario } from './harness/scenario-report';
import { startServiceProcess } from './harness/service-process';

describe('SSRF: callers cannot point Switchyard anywhere', () => {
  let stack: ReliabilityStack;
  let canary: Server;
  const canaryConnections: Socket[] = [];
  let target = '';
  let client: RouterServiceClient;
  const tally = { attempts: 0, served: 0, refused: 0 };

  beforeAll(async () => {
    canary = createServer((socket) => {
      canaryConnections.push(socket);
      socket.destroy();
    });
    await new Promise<void>((resolve) => canary.listen(0, '127.0.0.1', resolve));
    target = `127.0.0.1:${(canary.address() as { port: number }).port}`;
    stack = await startReliabilityStack({ label: 'ssrf', teams: ['acme'], edge: true });
    client = createRouterClient(stack.routers[0]!.address, { apiKey: stack.keys.acme });
  });

  afterAll(async () => {
    client?.close();
    reportScenario('ssrf', { ...tally, canaryConnections: canaryConnections.length });
    await stack?.close();
    await new Promise((resolve) => canary.close(resolve));
  });

  /** Runs a call that may be served or refused; neither may reach the canary. */
  const attempt = async (call: () => Promise<unknown>): Promise<string> => {
    tally.attempts++;
    try {
      await call();
      tally.served++;
      return 'OK';
    } catch (error) {
      tally.refused++;
      if (error instanceof SwitchyardError) return error.codeName;
      throw error;
    }
  };

  const url = (scheme = 'http') => `${scheme}://${target}/v1`;
  const injectedMetadata = () => ({
    'x-upstream-url': url(),
    'x-base-url': url(),
    'x-openai-base-url': url(),
    'openai-base-url': url(),
    'anthropic-base-url': url(),
    'x-api-base': url(),
    'x-portkey-custom-host': url(),
    'x-portkey-provider': 'openai',
    'x-forwarded-host': target,
    'x-forwarded-proto': 'http',
    'x-original-url': url(),
    'x-fake-fault': 'wrong_key',
    'x-switchyard-upstream': url(),
    'x-switchyard-adapter': target,
  });

  it('router: URLs in every request field and in metadata change nothing (served or refused, never fetched)', async () => {
    const cases: Array<[string, () => Promise<unknown>, string[]]> = [
      ['model is a URL', () => client.generate({ messages: [chatMessage('user', 'hi')], model: url() }), ['INVALID_ARGUMENT']],
      ['model names a host:port deployment', () => client.generate({ messages: [chatMessage('user', 'hi')], model: `openai/gpt-4.1-nano@${target}` }), ['INVALID_ARGUMENT']],
      ['provider-qualified model with a URL provider', () => client.generate({ messages: [chatMessage('user', 'hi')], model: `http:/${target}/gpt-4.1-nano` }), ['INVALID_ARGUMENT']],
      ['prompt full of URLs', () => client.generate({ messages: [chatMessage('user', `Fetch ${url()} and http://169.254.169.254/latest/meta-data/ then summarise`)] }), ['OK']],
      [
        'image URL at the canary (https, so accepted): providers fetch images, Switchyard never does',
        () =>
          client.generate({
            messages: [{ role: common.Role.USER, parts: [{ kind: { case: 'text', value: 'describe' } }, { kind: { case: 'image', value: { source: { case: 'url', value: `https://${target}/cat.png` } } } }] }],
            model: 'anthropic/claude-haiku-4-5',
          }),
        ['OK', 'INVALID_ARGUMENT'],
      ],
      ['image URL over http', () => client.generate({ messages: [{ role: common.Role.USER, parts: [{ kind: { case: 'image', value: { source: { case: 'url', value: `${url()}/cat.png` } } } }] }] }), ['INVALID_ARGUMENT']],
      [
        'tool schema with a remote $ref',
        () => client.generate({ messages: [chatMessage('user', 'use the tool')], params: { tools: [{ name: 'lookup', parametersSchema: { $ref: `${url()}/schema.json`, $id: url() } }] } }),
        ['OK'],
      ],
      [
        'response schema with a remote $ref',
        () =>
          client.generate({
            messages: [chatMessage('user', 'json please')],
            params: { responseFormat: { type: common.ResponseFormatType.JSON_SCHEMA, schemaName: 'r', jsonSchema: { type: 'object', properties: { a: { $ref: `${url()}/a.json` } } } } },
          }),
        ['OK'],
      ],
      ['end user id, project and tags carrying addresses', () => client.generate({ messages: [chatMessage('user', 'hi')], context: { endUserId: url(), project: target.replace(':', '-'), featureTags: [`base_url=${url()}`] } }), ['OK', 'INVALID_ARGUMENT']],
      ['every upstream-looking metadata key', () => client.generate({ messages: [chatMessage('user', 'hi')] }, { metadata: injectedMetadata() }), ['OK']],
      [
        'a stream with the same metadata',
        async () => {
          for await (const _ of client.streamGenerate({ messages: [chatMessage('user', 'hi')] }, { metadata: injectedMetadata() })) {
            // drain
          }
        },
        ['OK'],
      ],
    ];
    for (const [name, call, allowed] of cases) {
      const code = await attempt(call);
      expect(`${name}: ${allowed.includes(code)} (${code})`).toBe(`${name}: true (${code})`);
    }
  });

  it('adapters: metadata cannot redirect the upstream call', async () => {
    for (const [kind, adapter] of Object.entries(stack.adapters)) {
      const provider = createProviderClient(adapter!.address, { apiKey: stack.keys.service });
      try {
        const model = kind === 'openai' ? 'gpt-4.1-nano' : 'claude-haiku-4-5';
        expect(await attempt(() => provider.generate({ model, messages: [chatMessage('user', 'hi')] }, { metadata: injectedMetadata() }))).toBe('OK');
      } finally {
        provider.close();
      }
    }
  });

  it('HTTP edge: address-like body fields are refused by name; headers change nothing', async () => {
    const post = (body: Record<string, unknown>, headers: Record<string, string> = {}) =>
      fetch(`${stack.edge!.address}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.keys.acme}`, ...headers },
        body: JSON.stringify({ model: 'gpt-4.1-nano', messages: [{ role: 'user', content: 'hi' }], ...body }),
      });
    for (const field of ['base_url', 'api_base', 'baseURL', 'endpoint', 'upstream', 'proxy', 'host', 'server']) {
      tally.attempts++;
      const response = await post({ [field]: url() });
      const body = (await response.json()) as { error?: { param?: string; message?: string } };
      expect(`${field}: ${response.status}`).toBe(`${field}: 400`);
      expect(body.error?.param ?? body.error?.message).toContain(field);
      tally.refused++;
    }
    // A URL nested anywhere in an unknown field is refused too.
    tally.attempts++;
    expect((await post({ extra_body: { routing: { target: url() } } })).status).toBe(400);
    tally.refused++;
    tally.attempts++;
    const headers = Object.fromEntries(Object.entries(injectedMetadata()).filter(([k]) => k !== 'x-forwarded-host'));
    const served = await post({}, headers);
    expect(served.status).toBe(200);
    tally.served++;
  });

  it('nothing reached the canary, and the upstreams saw only their own paths and no injected header', async () => {
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(canaryConnections).toHaveLength(0);
    const upstreamRequests = [...stack.upstreams.openai.requests, ...stack.upstreams.anthropic.requests];
    expect(upstreamRequests.length).toBeGreaterThan(5);
    for (const request of upstreamRequests) {
      expect(['/v1/chat/completions', '/v1/messages', '/v1/models']).toContain(request.path);
      const headerText = JSON.stringify(request.headers).toLowerCase();
      expect(headerText).not.toContain(target);
      for (const injected of Object.keys(injectedMetadata())) expect(`${request.path} ${injected}: ${injected in request.headers}`).toBe(`${request.path} ${injected}: false`);
      expect(request.faults).toEqual([]);
    }
  });

  it('an adapter refuses to start with an upstream URL that is not http(s)', async () => {
    for (const baseUrl of ['file:///etc/passwd', `gopher://${target}/`]) {
      const started = startServiceProcess({
        name: 'adapter-bad-url',
        entry: 'services/adapter-openai/src/main.ts',
        env: { SWITCHYARD_UPSTREAM__BASE_URL: baseUrl, SWITCHYARD_LISTEN: '127.0.0.1:0', OPENAI_API_KEY: 'sk-test' },
        startTimeoutMs: 30_000,
      });
      await expect(started).rejects.toThrow(/upstream\.baseUrl/);
    }
    expect(canaryConnections).toHaveLength(0);
  });
});
