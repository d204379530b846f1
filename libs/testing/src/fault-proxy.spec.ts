import http from 'node:http';
import http2 from 'node:http2';
import { connect as connectTcp, createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import OpenAI from 'openai';
import { startFaultProxy, type FaultProxy } from './fault-proxy';
import { startFakeOpenAI } from './fake-openai/fake-openai';
import type { FakeUpstream } from './fake-upstream';

interface PlainResponse {
  status: number;
  body: string;
  elapsedMs: number;
}

/** One HTTP/1.1 GET on a fresh connection, failing after `timeoutMs`. */
function get(address: string, path: string, apiKey: string, timeoutMs = 1500): Promise<PlainResponse> {
  const [host, port] = address.split(':');
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host, port: Number(port), path, agent: false, headers: { authorization: `Bearer ${apiKey}` }, timeout: timeoutMs },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body, elapsedMs: Date.now() - started }));
        response.on('error', reject);
      },
    );
    request.on('timeout', () => request.destroy(new Error('client timeout')));
    request.on('error', reject);
    request.end();
  });
}

describe('fault proxy', () => {
  let fake: FakeUpstream;
  let proxy: FaultProxy;

  beforeAll(async () => {
    fake = await startFakeOpenAI();
    proxy = await startFaultProxy({ target: `127.0.0.1:${fake.port}` });
  });

  afterEach(() => proxy.clearToxics());

  afterAll(async () => {
    await proxy.close();
    await fake.close();
  });

  it('forwards HTTP untouched without toxics', async () => {
    const response = await get(proxy.address, '/v1/models', fake.apiKey);
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ object: 'list' });
    expect(proxy.stats.bytesDownstream).toBeGreaterThan(response.body.length);
    expect(proxy.stats.bytesUpstream).toBeGreaterThan(0);
  });

  it('latency delays the response', async () => {
    const baseline = await get(proxy.address, '/v1/models', fake.apiKey);
    proxy.setToxics([{ kind: 'latency', latencyMs: 150 }]);
    const delayed = await get(proxy.address, '/v1/models', fake.apiKey);
    expect(delayed.status).toBe(200);
    expect(delayed.elapsedMs).toBeGreaterThanOrEqual(145);
    expect(delayed.elapsedMs).toBeGreaterThan(baseline.elapsedMs + 100);
  });

  it('latency in both directions adds up', async () => {
    proxy.setToxics([{ kind: 'latency', latencyMs: 80, direction: 'both' }]);
    const delayed = await get(proxy.address, '/v1/models', fake.apiKey);
    expect(delayed.elapsedMs).toBeGreaterThanOrEqual(155);
  });

  it('bandwidth throttles the bytes per second', async () => {
    const size = (await get(proxy.address, '/v1/models', fake.apiKey)).body.length;
    proxy.setToxics([{ kind: 'bandwidth', bytesPerSecond: 2000 }]);
    const slow = await get(proxy.address, '/v1/models', fake.apiKey);
    expect(slow.status).toBe(200);
    expect(slow.elapsedMs).toBeGreaterThanOrEqual((size / 2000) * 1000 - 20);
  });

  it('limit_data cuts the connection after N bytes', async () => {
    const before = proxy.stats.bytesDownstream;
    const cutsBefore = proxy.stats.connectionsCut;
    proxy.setToxics([{ kind: 'limit_data', bytes: 40 }]);
    await expect(get(proxy.address, '/v1/models', fake.apiKey)).rejects.toThrow();
    expect(proxy.stats.bytesDownstream - before).toBe(40);
    expect(proxy.stats.connectionsCut).toBe(cutsBefore + 1);
  });

  it('limit_data cuts an SDK stream part-way, and the SDK iterator throws', async () => {
    const client = new OpenAI({ baseURL: `http://${proxy.address}/v1`, apiKey: fake.apiKey, maxRetries: 0 });
    proxy.setToxics([{ kind: 'limit_data', bytes: 900 }]);
    const stream = await client.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'a question that needs many streamed chunks to answer' }],
      stream: true,
    });
    let chunks = 0;
    const consume = async () => {
      for await (const _chunk of stream) chunks++;
    };
    await expect(consume()).rejects.toThrow();
    expect(chunks).toBeGreaterThan(0);
  });

  it('reset_peer resets new connections', async () => {
    proxy.setToxics([{ kind: 'reset_peer', scope: 'new' }]);
    await expect(get(proxy.address, '/v1/models', fake.apiKey)).rejects.toMatchObject({ code: 'ECONNRESET' });
  });

  it('reset_peer resets open connections now', async () => {
    fake.setTiming({ latencyMs: 500 });
    try {
      const client = new OpenAI({ baseURL: `http://${proxy.address}/v1`, apiKey: fake.apiKey, maxRetries: 0 });
      const pending = client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
      const outcome = pending.catch((error: unknown) => error);
      await fake.waitForRequest((request) => request.outcome === 'pending' && request.path === '/v1/chat/completions');
      proxy.setToxics([{ kind: 'reset_peer', scope: 'existing' }]);
      expect(await outcome).toBeInstanceOf(OpenAI.APIConnectionError);
      // The fake sees its client (the proxy) go away: the upstream connection is closed too.
      await fake.waitForRequest((request) => request.path === '/v1/chat/completions' && request.clientAborted);
      await expect(get(proxy.address, '/v1/models', fake.apiKey)).resolves.toMatchObject({ status: 200 });
    } finally {
      fake.setTiming({ latencyMs: 0 });
    }
  });

  it('timeout stalls connections until the toxic is removed', async () => {
    proxy.setToxics([{ kind: 'timeout' }]);
    const pending = get(proxy.address, '/v1/models', fake.apiKey);
    const first = await Promise.race([pending.then(() => 'answered'), new Promise((resolve) => setTimeout(resolve, 200, 'stalled'))]);
    expect(first).toBe('stalled');
    proxy.clearToxics();
    await expect(pending).resolves.toMatchObject({ status: 200 });
  });

  it('timeout holds back a close from the target too (a stalled peer says nothing)', async () => {
    const target = await new Promise<Server>((resolve) => {
      const server = createTcpServer((socket: Socket) => socket.end());
      server.listen(0, '127.0.0.1', () => resolve(server));
    });
    const stalled = await startFaultProxy({ target: `127.0.0.1:${(target.address() as AddressInfo).port}`, toxics: [{ kind: 'timeout' }] });
    const socket = connectTcp(stalled.port, '127.0.0.1');
    try {
      const ended = new Promise<string>((resolve) => socket.once('end', () => resolve('ended')));
      expect(await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, 300, 'silent'))])).toBe('silent');
      stalled.clearToxics();
      expect(await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, 2000, 'silent'))])).toBe('ended');
    } finally {
      socket.destroy();
      await stalled.close();
      await new Promise((resolve) => target.close(resolve));
    }
  });

  it('timeout with timeoutMs closes the stalled connection', async () => {
    proxy.setToxics([{ kind: 'timeout', timeoutMs: 100 }]);
    const started = Date.now();
    await expect(get(proxy.address, '/v1/models', fake.apiKey)).rejects.toThrow();
    expect(Date.now() - started).toBeGreaterThanOrEqual(95);
  });

  it('proxies HTTP/2 byte for byte, with latency', async () => {
    const server = http2.createServer();
    server.on('stream', (stream) => {
      stream.respond({ ':status': 200, 'content-type': 'text/plain' });
      stream.end('h2 ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const h2proxy = await startFaultProxy({
      target: `127.0.0.1:${(server.address() as AddressInfo).port}`,
      toxics: [{ kind: 'latency', latencyMs: 60 }],
    });
    const session = http2.connect(`http://${h2proxy.address}`);
    try {
      const started = Date.now();
      const body = await new Promise<string>((resolve, reject) => {
        const request = session.request({ ':path': '/' });
        let text = '';
        request.setEncoding('utf8');
        request.on('data', (chunk: string) => (text += chunk));
        request.on('end', () => resolve(text));
        request.on('error', reject);
        request.end();
      });
      expect(body).toBe('h2 ok');
      expect(Date.now() - started).toBeGreaterThanOrEqual(55);
    } finally {
      session.destroy();
      await h2proxy.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
