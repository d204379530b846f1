import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { chatMessage, createProviderClient, type ProviderServiceClient } from '@switchyard/sdk';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '@switchyard/telemetry/testing/otlp-receiver';
import { startFakeOpenAI, type FakeUpstream } from '@switchyard/testing';

// adapter-openai as a real process, exactly as deployed (telemetry started by main.ts's first import;
// auto-instrumentation only acts in a real process), against the fake OpenAI upstream and exporting
// OTLP to a receiver in this process. One unary and one streamed call carry a caller's traceparent and
// the router's baggage; the trace must continue through the adapter to the upstream HTTP call, with
// the GenAI attributes of the answer and no prompt or completion text anywhere.
const REPO_ROOT = resolve(__dirname, '../../..');
const MARKER = 'WOMBAT-MARKER-5d1e';
const CALLER_TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const ROUTER_BAGGAGE = 'switchyard.team=team-a,switchyard.project=search';

interface AdapterProcess {
  address: string;
  output: string[];
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

/** Starts `services/adapter-openai/src/main.ts` (tsx, CommonJS) and waits, bounded, for its listening line. */
function startAdapterProcess(env: Record<string, string>, timeoutMs = 45_000): Promise<AdapterProcess> {
  // The child sees only what the test sets: no inherited SWITCHYARD_*/OTEL_* settings, no jest NODE_OPTIONS.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(SWITCHYARD_|OTEL_|NODE_OPTIONS$)/.test(key)));
  const child = spawn(process.execPath, ['--require', 'tsx/cjs', 'services/adapter-openai/src/main.ts'], {
    cwd: REPO_ROOT,
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return new Promise((resolveStart, rejectStart) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rejectStart(new Error(`adapter-openai did not start within ${timeoutMs} ms:\n${output.join('\n')}`));
    }, timeoutMs);
    void exited.then((code) => {
      clearTimeout(timer);
      rejectStart(new Error(`adapter-openai exited with ${code} before listening:\n${output.join('\n')}`));
    });
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        output.push(line);
        if (!line.includes('"msg":"listening"')) return;
        clearTimeout(timer);
        resolveStart({
          address: (JSON.parse(line) as { address: string }).address,
          output,
          async stop(graceMs = 5000) {
            if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
            child.kill('SIGTERM');
            const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
            const code = await exited;
            clearTimeout(kill);
            return code;
          },
        });
      });
    }
  });
}

let receiver: OtlpReceiver;
let fake: FakeUpstream;
let adapter: AdapterProcess;
let client: ProviderServiceClient;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  fake = await startFakeOpenAI({ wordsPerChunk: 2 });
  adapter = await startAdapterProcess({
    SWITCHYARD_UPSTREAM__BASE_URL: fake.baseURL,
    SWITCHYARD_LOG_LEVEL: 'info',
    OPENAI_API_KEY: fake.apiKey,
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_BSP_SCHEDULE_DELAY: '50',
    // Metrics are exported only at shutdown (the interval is far longer than the test), which
    // proves main.ts flushes telemetry last.
    OTEL_METRIC_EXPORT_INTERVAL: '600000',
  });
  client = createProviderClient(adapter.address, { timeoutMs: 15_000 });
}, 90_000);

afterAll(async () => {
  client?.close();
  await adapter?.stop();
  await fake?.close();
  await receiver?.close();
});

const caller = (spanId: string) => ({ traceparent: `00-${CALLER_TRACE_ID}-${spanId}-01`, baggage: ROUTER_BAGGAGE });
const toJson = (value: unknown) => JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
const must = <T>(value: T | undefined, what: string): T => {
  if (value === undefined) throw new Error(`missing ${what}`);
  return value;
};
const childrenOf = (spans: ReceivedSpan[], parent: ReceivedSpan) => spans.filter((s) => s.parentSpanId === parent.spanId);

/** The adapter's three spans of one call, once all have arrived: gRPC server → chat → upstream POST. */
async function adapterSpans(method: 'Generate' | 'StreamGenerate', callerSpanId: string) {
  const ofCall = (all: ReceivedSpan[]) => {
    const server = all.find((s) => s.kind === 'SERVER' && s.parentSpanId === callerSpanId);
    const chat = server && all.find((s) => s.parentSpanId === server.spanId && s.name === 'chat gpt-4o-mini');
    const http = chat && all.find((s) => s.parentSpanId === chat.spanId && s.kind === 'CLIENT');
    return { server, chat, http };
  };
  const { server, chat, http } = ofCall(await receiver.waitForSpans((all) => ofCall(all).http !== undefined, 20_000));
  expect(server).toMatchObject({ traceId: CALLER_TRACE_ID, name: `switchyard.provider.v1.ProviderService/${method}`, serviceName: 'adapter-openai' });
  expect(chat).toMatchObject({ traceId: CALLER_TRACE_ID, kind: 'CLIENT', serviceName: 'adapter-openai' });
  expect(http).toMatchObject({ traceId: CALLER_TRACE_ID, name: 'POST', serviceName: 'adapter-openai' });
  return { server: must(server, 'server span'), chat: must(chat, 'chat span'), http: must(http, 'upstream HTTP span') };
}

describe('adapter-openai telemetry (real process, OTLP decoded here)', () => {
  it('continues the caller trace through Generate: server span → chat span with GenAI attributes → upstream POST', async () => {
    const callerSpanId = '00f067aa0ba90201';
    const response = await client.generate(
      {
        model: 'gpt-4o-mini',
        messages: [chatMessage('system', 'Answer briefly.'), chatMessage('user', `Summarise the ${MARKER} memo`)],
        params: { maxOutputTokens: 64, temperature: 0.3 },
        requestId: 'req-telemetry-unary',
      },
      { metadata: caller(callerSpanId) },
    );
    const usage = must(response.usage, 'usage');
    expect(usage.outputTokens).toBeGreaterThan(0n);

    const { server, chat, http } = await adapterSpans('Generate', callerSpanId);
    expect(server.attributes).toMatchObject({ 'rpc.status_code': 'OK', 'switchyard.team': 'team-a', 'switchyard.project': 'search' });
    expect(chat.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.request.max_tokens': 64,
      'gen_ai.request.temperature': 0.3,
      'server.address': '127.0.0.1',
      'server.port': fake.port,
      'switchyard.request_id': 'req-telemetry-unary',
      'gen_ai.response.model': response.responseModel,
      'gen_ai.response.id': response.responseId,
      'gen_ai.response.finish_reasons': [response.providerFinishReason],
      'gen_ai.usage.input_tokens': Number(usage.inputTokens + usage.cachedInputTokens),
      'gen_ai.usage.output_tokens': Number(usage.outputTokens),
      'gen_ai.usage.cache_read.input_tokens': Number(usage.cachedInputTokens),
      'gen_ai.usage.reasoning.output_tokens': Number(usage.reasoningTokens),
      'switchyard.team': 'team-a',
    });
    expect(response.responseId).toMatch(/^chatcmpl-/);
    expect(chat.attributes['gen_ai.request.stream']).toBeUndefined();
    expect(chat.status.code).toBe('UNSET');
    expect(http.attributes).toMatchObject({ 'http.request.method': 'POST', 'http.response.status_code': 200, 'server.port': fake.port, 'switchyard.team': 'team-a' });
    expect(childrenOf(receiver.spans, server)).toEqual([chat]);
  });

  it('keeps the chat span of StreamGenerate open to the end, with time to first chunk and the final usage', async () => {
    const callerSpanId = '00f067aa0ba90202';
    let streamed: { usage?: { inputTokens: bigint; outputTokens: bigint; cachedInputTokens: bigint; reasoningTokens: bigint }; responseId: string; responseModel: string } | undefined;
    let deltas = 0;
    for await (const event of client.streamGenerate(
      { model: 'gpt-4o-mini', messages: [chatMessage('user', `Stream the ${MARKER} story in a few words`)], requestId: 'req-telemetry-stream' },
      { metadata: caller(callerSpanId) },
    )) {
      if (event.event.case === 'delta') deltas++;
      if (event.event.case === 'final') streamed = event.event.value;
    }
    expect(deltas).toBeGreaterThan(1);
    const final = must(streamed, 'final event');
    const usage = must(final.usage, 'usage');

    const { server, chat, http } = await adapterSpans('StreamGenerate', callerSpanId);
    expect(server.attributes['rpc.status_code']).toBe('OK');
    expect(chat.attributes).toMatchObject({
      'gen_ai.request.stream': true,
      'switchyard.request_id': 'req-telemetry-stream',
      'gen_ai.response.id': final.responseId,
      'gen_ai.response.model': final.responseModel,
      'gen_ai.usage.input_tokens': Number(usage.inputTokens + usage.cachedInputTokens),
      'gen_ai.usage.output_tokens': Number(usage.outputTokens),
      'switchyard.team': 'team-a',
    });
    expect(chat.attributes['gen_ai.response.time_to_first_chunk']).toEqual(expect.any(Number));
    expect(http.attributes['http.response.status_code']).toBe(200);
    // The chat span covers the whole stream, so it ends after the HTTP request started and no earlier than it.
    expect(chat.endTimeUnixNano).toBeGreaterThanOrEqual(http.startTimeUnixNano);
  });

  it('puts no prompt or completion text in any span or log line', () => {
    // The marker did travel: the upstream saw it in both prompts.
    expect(fake.requests.filter((r) => toJson(r.body).includes(MARKER))).toHaveLength(2);
    expect(receiver.spans.length).toBeGreaterThanOrEqual(6);
    expect(toJson(receiver.spans)).not.toContain(MARKER);
    expect(toJson(receiver.spans)).not.toContain('answer to:');
    expect(adapter.output.filter((line) => line.includes(MARKER))).toEqual([]);
  });

  it('flushes the gen_ai.client metrics at shutdown, by team, and exits 0', async () => {
    expect(await adapter.stop(15_000)).toBe(0);
    const metrics = await receiver.waitForMetrics((all) => all.some((m) => m.name === 'gen_ai.client.operation.time_to_first_chunk'), 20_000);
    const metric = (name: string) => {
      const found = metrics.find((m) => m.name === name);
      if (!found) throw new Error(`no metric ${name}; have ${metrics.map((m) => m.name).join(', ')}`);
      return found;
    };
    const tokens = metric('gen_ai.client.token.usage');
    expect(tokens.kind).toBe('histogram');
    expect(tokens.points.map((p) => p.attributes)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ 'gen_ai.token.type': 'input', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o-mini', 'switchyard.team': 'team-a' }),
        expect.objectContaining({ 'gen_ai.token.type': 'output', 'server.address': '127.0.0.1', 'server.port': fake.port }),
      ]),
    );
    expect(metric('gen_ai.client.operation.duration').points.reduce((sum, p) => sum + (p.count ?? 0), 0)).toBe(2);
    expect(metric('gen_ai.client.operation.time_to_first_chunk').points.reduce((sum, p) => sum + (p.count ?? 0), 0)).toBe(1);
    expect(metric('rpc.server.call.duration').points.map((p) => p.attributes['rpc.method'])).toEqual(
      expect.arrayContaining(['switchyard.provider.v1.ProviderService/Generate', 'switchyard.provider.v1.ProviderService/StreamGenerate']),
    );
  });
});
