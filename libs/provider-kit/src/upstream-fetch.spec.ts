import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { startTelemetry, withSpan, type Telemetry } from '@switchyard/telemetry';
import { createUpstreamFetch, UPSTREAM_IDLE_SOCKET_MS, type UpstreamFetch } from './upstream-fetch';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

const exporter = new InMemorySpanExporter();
const upstreamSpans = (): ReadableSpan[] => exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.CLIENT);

describe('createUpstreamFetch', () => {
  let server: Server;
  let base: string;
  let handler: Handler;
  let upstream: UpstreamFetch;
  let telemetry: Telemetry;

  beforeAll(async () => {
    telemetry = startTelemetry({ serviceName: 'upstream-fetch-test', env: {}, autoInstrument: false, spanExporter: exporter });
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => handler(req, body, res));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    upstream = createUpstreamFetch();
  });

  afterAll(async () => {
    upstream.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await telemetry.shutdown();
  });
  beforeEach(() => exporter.reset());

  it('sends method, headers and body in one request and returns the JSON reply', async () => {
    handler = (req, body, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': 'req_1' });
      res.end(JSON.stringify({ method: req.method, auth: req.headers.authorization, length: req.headers['content-length'], body: JSON.parse(body) }));
    };
    const response = await upstream.fetch(`${base}/v1/chat/completions?x=1`, {
      method: 'POST',
      headers: new Headers({ Authorization: 'Bearer k', 'content-type': 'application/json' }),
      body: JSON.stringify({ model: 'm', note: 'héllo' }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe('req_1');
    expect(await response.json()).toEqual({ method: 'POST', auth: 'Bearer k', length: String(Buffer.byteLength('{"model":"m","note":"héllo"}')), body: { model: 'm', note: 'héllo' } });
  });

  it('reuses one keep-alive connection for sequential requests', async () => {
    const ports = new Set<number>();
    handler = (req, _body, res) => {
      ports.add(req.socket.remotePort!);
      res.end('ok');
    };
    for (let i = 0; i < 5; i++) expect(await (await upstream.fetch(`${base}/ping`)).text()).toBe('ok');
    expect(ports.size).toBe(1);
  });

  it('closes an idle keep-alive connection itself, before the server would, and still reuses a busy one', async () => {
    const ports: number[] = [];
    const closedAfterMs: number[] = [];
    let lastAnswerAt = 0;
    handler = (req, _body, res) => {
      const port = req.socket.remotePort!;
      if (!ports.includes(port)) req.socket.once('close', () => closedAfterMs.push(Date.now() - lastAnswerAt));
      ports.push(port);
      res.end('ok');
      lastAnswerAt = Date.now();
    };
    // The server would keep the connection for a minute: any close before that is the client's.
    const serverIdle = server.keepAliveTimeout;
    server.keepAliveTimeout = 60_000;
    const idle = createUpstreamFetch();
    try {
      expect(await (await idle.fetch(`${base}/a`)).text()).toBe('ok');
      expect(await (await idle.fetch(`${base}/b`)).text()).toBe('ok');
      expect(new Set(ports).size).toBe(1); // reused while busy
      for (let waited = 0; closedAfterMs.length === 0 && waited < 15_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(closedAfterMs).toHaveLength(1);
      expect(closedAfterMs[0]).toBeGreaterThanOrEqual(UPSTREAM_IDLE_SOCKET_MS - 100);
      expect(await (await idle.fetch(`${base}/c`)).text()).toBe('ok');
      expect(new Set(ports).size).toBe(2); // a new connection after the idle one was closed
    } finally {
      server.keepAliveTimeout = serverIdle;
      idle.close();
    }
  });

  it('streams server-sent events as they arrive', async () => {
    let finish: () => void = () => undefined;
    handler = (_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: one\n\n');
      finish = () => res.end('data: two\n\n');
    };
    const response = await upstream.fetch(`${base}/stream`, { method: 'POST', body: '{}' });
    const reader = response.body!.getReader();
    const first = await reader.read();
    expect(Buffer.from(first.value!).toString()).toBe('data: one\n\n');
    finish();
    let rest = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += Buffer.from(chunk.value).toString();
    expect(rest).toBe('data: two\n\n');
  });

  it('answers a complete reply with a buffered response that reads once, clones, and exposes its body', async () => {
    handler = (_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"n":1}');
    };
    const response = await upstream.fetch(`${base}/once`);
    const copy = response.clone();
    expect(response.bodyUsed).toBe(false);
    expect(await response.json()).toEqual({ n: 1 });
    expect(response.bodyUsed).toBe(true);
    await expect(response.text()).rejects.toThrow(TypeError);
    expect(Buffer.from(await copy.arrayBuffer()).toString()).toBe('{"n":1}');
    const reader = (await upstream.fetch(`${base}/once`)).body!.getReader();
    expect(Buffer.from((await reader.read()).value!).toString()).toBe('{"n":1}');
  });

  it('decodes a gzip-compressed body', async () => {
    handler = (_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(gzipSync(JSON.stringify({ ok: true })));
    };
    expect(await (await upstream.fetch(`${base}/gz`)).json()).toEqual({ ok: true });
  });

  it('returns error statuses with their body, and a 204 without one', async () => {
    handler = (req, _body, res) => {
      if (req.url === '/empty') return void res.writeHead(204).end();
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '2' });
      res.end('{"error":{"message":"slow down"}}');
    };
    const limited = await upstream.fetch(`${base}/limited`);
    expect(limited.status).toBe(429);
    expect(limited.ok).toBe(false);
    expect(limited.headers.get('retry-after')).toBe('2');
    expect(await limited.text()).toContain('slow down');
    const empty = await upstream.fetch(`${base}/empty`);
    expect(empty.status).toBe(204);
    expect(empty.body).toBeNull();
  });

  it('rejects with an AbortError when aborted before the reply, and mid-stream', async () => {
    handler = (req, _body, res) => {
      if (req.url === '/hang') return; // never answers
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: one\n\n');
    };
    const early = new AbortController();
    const pending = upstream.fetch(`${base}/hang`, { signal: early.signal });
    setTimeout(() => early.abort(), 20);
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });

    const late = new AbortController();
    const response = await upstream.fetch(`${base}/stream`, { signal: late.signal });
    const reader = response.body!.getReader();
    await reader.read();
    late.abort();
    await expect(reader.read()).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('fails like the built-in fetch when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const failure = await upstream.fetch(`http://127.0.0.1:${port}/`).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TypeError);
    expect((failure as TypeError).message).toBe('fetch failed');
    expect(((failure as TypeError).cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
  });

  it('traces each request as a POST span under the active span, and sends that span as traceparent', async () => {
    let traceparent: string | undefined;
    handler = (req, _body, res) => {
      traceparent = req.headers.traceparent as string | undefined;
      res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":{"message":"overloaded"}}');
    };
    await withSpan('chat gpt-4o-mini', {}, async () => {
      const response = await upstream.fetch(`${base}/v1/chat/completions?api-key=k`, { method: 'POST', body: '{}' });
      expect(response.status).toBe(503);
    });
    const [http] = upstreamSpans();
    const parent = exporter.getFinishedSpans().find((s) => s.name === 'chat gpt-4o-mini');
    expect(http).toMatchObject({ name: 'POST', status: { code: SpanStatusCode.ERROR } });
    expect(http.parentSpanContext?.spanId).toBe(parent?.spanContext().spanId);
    expect(http.attributes).toMatchObject({ 'http.request.method': 'POST', 'http.response.status_code': 503, 'error.type': '503', 'url.full': `${base}/v1/chat/completions` });
    expect(traceparent).toBe(`00-${http.spanContext().traceId}-${http.spanContext().spanId}-01`);
  });

  it('keeps the span of an event stream open until the stream ends', async () => {
    let finish: () => void = () => undefined;
    handler = (_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: one\n\n');
      finish = () => res.end('data: two\n\n');
    };
    const body = (await upstream.fetch(`${base}/stream`, { method: 'POST', body: '{}' })).body;
    const reader = body?.getReader();
    await reader?.read();
    expect(upstreamSpans()).toEqual([]);
    finish();
    for (let chunk = await reader?.read(); chunk && !chunk.done; chunk = await reader?.read()) expect(chunk.value.byteLength).toBeGreaterThan(0);
    expect(upstreamSpans()).toMatchObject([{ name: 'POST', status: { code: SpanStatusCode.UNSET }, attributes: { 'http.response.status_code': 200 } }]);
  });

  it('ends the span failed, with the socket error code, when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await expect(upstream.fetch(`http://127.0.0.1:${port}/`)).rejects.toThrow('fetch failed');
    expect(upstreamSpans()).toMatchObject([{ name: 'GET', status: { code: SpanStatusCode.ERROR }, attributes: { 'error.type': 'ECONNREFUSED', 'server.port': port } }]);
  });

  it('hands bodies it does not send (streams) to the fallback fetch', async () => {
    const calls: unknown[] = [];
    const fallback = (async (input: unknown) => {
      calls.push(input);
      return new Response('fallback');
    }) as typeof fetch;
    const withFallback = createUpstreamFetch({ fallback });
    try {
      const stream = new ReadableStream({ start: (controller) => controller.close() });
      const response = await withFallback.fetch(`${base}/upload`, { method: 'POST', body: stream, duplex: 'half' } as RequestInit);
      expect(await response.text()).toBe('fallback');
      expect(calls).toHaveLength(1);
    } finally {
      withFallback.close();
    }
  });
});
