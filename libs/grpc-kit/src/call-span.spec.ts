import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { provider } from '@switchyard/contracts';
import { chatMessage, createProviderClient, type ProviderServiceImplementation } from '@switchyard/sdk';
import { Writable } from 'node:stream';
import { checkHealth } from './health-client';
import { createLogger } from './logger';
import { startGrpcServer, type RunningGrpcServer } from './server';
import { invalidArgument } from './service-failure';

// The harness's own SERVER spans, with a real tracer provider (no instrumentation patches grpc-js here).
const CALLER_TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN_ID = '00f067aa0ba902b7';
const GENERATE = 'switchyard.provider.v1.ProviderService/Generate';

const implementation: ProviderServiceImplementation = {
  async generate(request) {
    if (request.model === 'bad') throw invalidArgument('model', 'unknown model "bad"');
    trace.getTracer('test').startSpan('inside the handler').end();
    return { message: chatMessage('assistant', 'ok'), responseModel: request.model };
  },
  async *streamGenerate(request) {
    yield { event: { case: 'delta', value: { text: 'a' } } };
    yield { event: { case: 'final', value: { responseModel: request.model } } };
  },
  async listModels() {
    return { models: [] };
  },
};

const exporter = new InMemorySpanExporter();
const tracerProvider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
let server: RunningGrpcServer;
let client: ReturnType<typeof createProviderClient>;

beforeAll(async () => {
  tracerProvider.register();
  server = await startGrpcServer({
    name: 'traced',
    address: '127.0.0.1:0',
    errorDomain: 'test.switchyard.dev',
    services: [{ service: provider.ProviderService, implementation }],
    logger: createLogger({ service: 'test', destination: new Writable({ write: (_chunk, _enc, cb) => cb() }) }),
  });
  client = createProviderClient(server.address);
});
afterAll(async () => {
  client.close();
  await server.shutdown(100);
  await tracerProvider.shutdown();
  trace.disable();
  context.disable();
  propagation.disable();
});
beforeEach(() => exporter.reset());

const serverSpans = () => exporter.getFinishedSpans().filter((s) => s.kind === SpanKind.SERVER);

describe('the server span of each call', () => {
  it('continues the caller trace with the stable RPC names, and parents the handler spans', async () => {
    await client.generate({ model: 'm' }, { metadata: { traceparent: `00-${CALLER_TRACE_ID}-${CALLER_SPAN_ID}-01` } });
    const [span] = serverSpans();
    expect(serverSpans()).toHaveLength(1);
    expect(span.name).toBe(GENERATE);
    expect(span.spanContext().traceId).toBe(CALLER_TRACE_ID);
    expect(span.parentSpanContext?.spanId).toBe(CALLER_SPAN_ID);
    expect(span.attributes).toEqual({ 'rpc.system.name': 'grpc', 'rpc.method': GENERATE, 'rpc.status_code': 'OK' });
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    const inside = exporter.getFinishedSpans().find((s) => s.name === 'inside the handler');
    expect(inside?.parentSpanContext?.spanId).toBe(span.spanContext().spanId);
  });

  it('ends a failed call ERROR with the status name as rpc.status_code and error.type', async () => {
    await expect(client.generate({ model: 'bad' })).rejects.toMatchObject({ codeName: 'INVALID_ARGUMENT' });
    const [span] = serverSpans();
    expect(span.attributes).toMatchObject({ 'rpc.status_code': 'INVALID_ARGUMENT', 'error.type': 'INVALID_ARGUMENT' });
    expect(span.status).toMatchObject({ code: SpanStatusCode.ERROR, message: expect.stringContaining('model') });
  });

  it('ends a streamed call once the stream has ended', async () => {
    const events: unknown[] = [];
    for await (const event of client.streamGenerate({ model: 'm' })) events.push(event);
    expect(events).toHaveLength(2);
    expect(serverSpans()).toMatchObject([{ name: 'switchyard.provider.v1.ProviderService/StreamGenerate', attributes: { 'rpc.status_code': 'OK' } }]);
  });

  it('does not trace health checks', async () => {
    expect(await checkHealth(server.address)).toBe('SERVING');
    expect(serverSpans()).toEqual([]);
  });
});
