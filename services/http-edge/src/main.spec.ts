// main.ts as a real process: config from SWITCHYARD_* variables, the listening line, a request
// through it, traces exported over OTLP, and a clean exit on SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { startOtlpReceiver, type OtlpReceiver } from '@switchyard/telemetry/testing/otlp-receiver';
import OpenAI from 'openai';
import { startFakeRouter, type FakeRouter } from './test-support/fake-router';

const repoRoot = resolve(__dirname, '../../..');
const CALLER_TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN_ID = '00f067aa0ba902b7';

/** Spawns main.ts and resolves with its URL from the listening line. */
function startEdge(env: Record<string, string>): Promise<{ child: ChildProcess; url: string; exited: Promise<number | null>; output: string[] }> {
  const childEnv: Record<string, string | undefined> = { ...process.env, SWITCHYARD_LISTEN: '127.0.0.1:0', SWITCHYARD_LOG_LEVEL: 'warn', ...env };
  delete childEnv['NODE_OPTIONS'];
  const child = spawn(process.execPath, ['--import', 'tsx', 'services/http-edge/src/main.ts'], { cwd: repoRoot, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const output: string[] = [];
  return new Promise((done, fail) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`no listening line in 30 s:\n${output.join('\n')}`));
    }, 30_000);
    createInterface({ input: child.stderr! }).on('line', (line) => output.push(line));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      output.push(line);
      if (!line.includes('"event":"listening"')) return;
      clearTimeout(timer);
      done({ child, url: (JSON.parse(line) as { address: string }).address, exited, output });
    });
  });
}

describe('http-edge main.ts', () => {
  let fake: FakeRouter;
  let receiver: OtlpReceiver;
  beforeAll(async () => {
    fake = await startFakeRouter();
    receiver = await startOtlpReceiver();
  });
  afterAll(async () => {
    await fake.close();
    await receiver.close();
  });

  it('starts from the environment, serves, joins the caller’s trace, and exits 0 on SIGTERM', async () => {
    const edge = await startEdge({
      SWITCHYARD_ROUTER__ADDRESS: fake.address,
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_METRICS_EXPORTER: 'none',
    });
    try {
      expect(edge.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const openai = new OpenAI({ baseURL: `${edge.url}/v1`, apiKey: fake.apiKey, maxRetries: 0 });
      const reply = await openai.chat.completions.create(
        { model: 'switchyard/auto', messages: [{ role: 'user', content: 'hello' }] },
        { headers: { traceparent: `00-${CALLER_TRACE_ID}-${CALLER_SPAN_ID}-01`, baggage: 'team=admin' } },
      );
      expect(reply.choices[0]?.message.content).toBe('[echo-small] answer to: hello');
      expect((await fetch(`${edge.url}/readyz`)).status).toBe(200);
    } finally {
      edge.child.kill('SIGTERM');
    }
    expect(await edge.exited).toBe(0);

    // The router saw the caller's trace (through the edge's own client span) and no caller baggage.
    const call = fake.calls.find((c) => c.method === 'generate')!;
    expect(call.traceparent).toMatch(new RegExp(`^00-${CALLER_TRACE_ID}-[0-9a-f]{16}-01$`));
    expect(call.baggage).toBeUndefined();
    // The edge exported a server span under the caller's span and a gRPC client span under it.
    const spans = await receiver.waitForSpans((all) => all.some((s) => s.traceId === CALLER_TRACE_ID && s.kind === 'CLIENT'));
    const server = spans.find((s) => s.traceId === CALLER_TRACE_ID && s.kind === 'SERVER');
    const client = spans.find((s) => s.traceId === CALLER_TRACE_ID && s.kind === 'CLIENT');
    expect(server?.parentSpanId).toBe(CALLER_SPAN_ID);
    expect(server?.serviceName).toBe('http-edge');
    expect(client?.parentSpanId).toBe(server?.spanId);
    expect(call.traceparent?.split('-')[2]).toBe(client?.spanId);
  }, 45_000);

  it('refuses to start without a router address, naming the key', async () => {
    const env: Record<string, string | undefined> = { ...process.env };
    for (const key of Object.keys(env)) if (key.startsWith('SWITCHYARD_') || key === 'NODE_OPTIONS') delete env[key];
    const child = spawn(process.execPath, ['--import', 'tsx', 'services/http-edge/src/main.ts'], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((done) => child.once('exit', (exitCode) => done(exitCode)));
    expect(code).toBe(1);
    expect(stderr).toContain('router');
  }, 30_000);
});
