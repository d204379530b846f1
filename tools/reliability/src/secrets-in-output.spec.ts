// No secrets and no prompt or completion text in what the services emit: every line every process
// prints (at debug level), every span and metric they export over OTLP, and every file they write.
// Marker strings are planted in prompts (every role, tools, schemas, streams, the edge's two APIs)
// and in keys (team, admin, service, provider keys, presented wrong keys), then searched for.
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { common } from '@switchyard/contracts';
import { chatMessage, createBillingClient, createRouterClient, SwitchyardError, type RouterServiceClient } from '@switchyard/sdk';
import { startOtlpReceiver, type OtlpReceiver } from '@switchyard/telemetry/testing/otlp-receiver';
import { startReliabilityStack, UPSTREAM_KEYS, type ReliabilityStack } from './harness/reliability-stack';
import { reportScenario } from './harness/scenario-report';

const PROMPT = `PROMPTMARK${randomBytes(6).toString('hex')}`;
const WRONG_KEY = `sy_0123456789_WRONGKEYMARK${randomBytes(12).toString('hex')}`;

describe('secrets and prompt text never reach logs, spans or files', () => {
  let receiver: OtlpReceiver;
  let stack: ReliabilityStack;
  let client: RouterServiceClient;
  const served: string[] = [];

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    stack = await startReliabilityStack({
      label: 'secrets',
      teams: ['acme'],
      edge: true,
      logLevel: 'debug',
      serviceEnv: {
        OTEL_SDK_DISABLED: 'false',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_BSP_SCHEDULE_DELAY: '100',
        OTEL_METRIC_EXPORT_INTERVAL: '1000',
        OTEL_METRICS_EXPORTER: 'otlp',
      },
    });
    client = createRouterClient(stack.routers[0]!.address, { apiKey: stack.keys.acme });
  });

  afterAll(async () => {
    client?.close();
    await stack?.close();
    await receiver?.close();
  });

  const prompt = (where: string) => `${PROMPT} ${where}: please keep this text private.`;
  const conversation = () => [
    chatMessage('system', prompt('system')),
    chatMessage('user', prompt('user turn 1')),
    { role: common.Role.ASSISTANT, parts: [{ kind: { case: 'text' as const, value: prompt('assistant') } }], toolCalls: [{ id: 'call_1', name: 'lookup', argumentsJson: JSON.stringify({ q: prompt('tool args') }) }] },
    { role: common.Role.TOOL, toolCallId: 'call_1', parts: [{ kind: { case: 'text' as const, value: prompt('tool result') } }] },
    chatMessage('user', prompt('user turn 2')),
  ];
  const tools = [{ name: 'lookup', description: prompt('tool description'), parametersSchema: { type: 'object', properties: { q: { type: 'string', description: prompt('schema') } } } }];

  it('drives every path with marked prompts and keys', async () => {
    const call = async (label: string, run: () => Promise<unknown>) => {
      try {
        await run();
        served.push(label);
      } catch (error) {
        if (!(error instanceof SwitchyardError)) throw error;
        // A caller may see its own prompt echoed back; it must not be logged. Keys are never echoed.
        expect(error.message).not.toContain(WRONG_KEY);
        expect(error.message).not.toContain(UPSTREAM_KEYS.openai);
      }
    };
    await call('unary with history and tools', () => client.generate({ messages: conversation(), params: { tools }, context: { requestId: 'secret-1', endUserId: 'user-42' } }));
    await call('unary to the anthropic model', () => client.generate({ messages: conversation(), model: 'anthropic/claude-haiku-4-5', context: { requestId: 'secret-2' } }));
    await call('stream', async () => {
      for await (const _ of client.streamGenerate({ messages: conversation(), context: { requestId: 'secret-3' } })) {
        // read it all
      }
    });
    await call('explain', () => client.explainRoute({ messages: conversation() }));
    await call('json schema output', () =>
      client.generate({
        messages: [chatMessage('user', prompt('json'))],
        params: { responseFormat: { type: common.ResponseFormatType.JSON_SCHEMA, schemaName: 'answer', jsonSchema: { type: 'object', description: prompt('response schema') } } },
        context: { requestId: 'secret-4' },
      }),
    );
    // Failures: a 5xx with fallback, a broken stream, a refused request, a bad key, a provider key rejected upstream.
    stack.upstreams.openai.setFaults([{ kind: 'server_error', times: 1 }]);
    await call('fallback after 5xx', () => client.generate({ messages: conversation(), context: { requestId: 'secret-5' } }));
    stack.upstreams.openai.setFaults([{ kind: 'stream_cut', afterChunks: 3, times: 1 }]);
    await call('broken stream', async () => {
      for await (const _ of client.streamGenerate({ messages: [chatMessage('user', prompt('stream to be cut'))], context: { requestId: 'secret-6' } })) {
        // read until it breaks
      }
    });
    await call('invalid request', () => client.generate({ messages: [chatMessage('user', prompt('invalid'))], params: { temperature: 9 } }));
    await call('wrong key', () => createRouterClient(stack.routers[0]!.address, { apiKey: WRONG_KEY }).generate({ messages: [chatMessage('user', prompt('wrong key'))] }));
    await call('wrong key on billing', () => createBillingClient(stack.billings[0]!.address, { apiKey: WRONG_KEY }).querySpend({}));
    stack.upstreams.openai.setFaults([{ kind: 'wrong_key', message: `Incorrect API key provided: ${UPSTREAM_KEYS.openai}`, times: 1 }]);
    await call('provider key rejected (its error echoes the key)', () => client.generate({ messages: [chatMessage('user', prompt('provider key'))], context: { requestId: 'secret-7' } }));
    // A provider's 400 that quotes the prompt back (real providers do: "Invalid 'messages[0].content': ...").
    stack.upstreams.openai.setFaults([{ kind: 'bad_request', message: `Invalid 'messages[0].content': ${prompt('echoed by the provider')}`, times: 1 }]);
    await call('provider 400 quoting the prompt', () => client.generate({ messages: [chatMessage('user', prompt('quoted'))], context: { requestId: 'secret-8' } }));
    stack.upstreams.openai.clearFaults();
    // The HTTP edge, both APIs, unary and streamed, with a bad key too.
    const edge = (path: string, body: unknown, key = stack.keys.acme) =>
      fetch(`${stack.edge!.address}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, 'x-api-key': key, 'anthropic-version': '2023-06-01' },
        body: JSON.stringify(body),
      }).then((r) => r.text());
    await edge('/v1/chat/completions', { model: 'gpt-4.1-nano', messages: [{ role: 'system', content: prompt('edge system') }, { role: 'user', content: prompt('edge user') }] });
    await edge('/v1/chat/completions', { model: 'gpt-4.1-nano', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: prompt('edge stream') }] });
    await edge('/v1/messages', { model: 'claude-haiku-4-5', max_tokens: 50, system: prompt('edge anthropic system'), messages: [{ role: 'user', content: prompt('edge anthropic') }] });
    await edge('/v1/messages', { model: 'claude-haiku-4-5', max_tokens: 50, stream: true, messages: [{ role: 'user', content: prompt('edge anthropic stream') }] });
    await edge('/v1/chat/completions', { model: 'gpt-4.1-nano', messages: [{ role: 'user', content: prompt('edge wrong key') }] }, WRONG_KEY);
    expect(served.length).toBeGreaterThanOrEqual(6);
  });

  it('no process printed a marker or a key, at debug level', async () => {
    await stack.ledger.waitFor('acme', (rows) => rows.length >= 5, 15_000);
    const secrets = { ...stack.keys, wrongKey: WRONG_KEY, openaiProviderKey: UPSTREAM_KEYS.openai, anthropicProviderKey: UPSTREAM_KEYS.anthropic };
    const leaks: string[] = [];
    let lines = 0;
    for (const process of stack.processes()) {
      for (const line of process.output) {
        lines++;
        if (line.includes(PROMPT)) leaks.push(`${process.name} printed prompt text: ${line.slice(0, 300)}`);
        for (const [name, secret] of Object.entries(secrets)) if (line.includes(secret)) leaks.push(`${process.name} printed the ${name} key: ${line.slice(0, 300)}`);
      }
    }
    expect(leaks).toEqual([]);
    expect(stack.processes().flatMap((p) => p.output).some((line) => line.startsWith('{"level":20'))).toBe(true); // debug level really was on
    reportScenario('secrets/logs', { processes: stack.processes().length, linesScanned: lines, leaks: leaks.length });
  });

  it('no exported span or metric carries a marker or a key', async () => {
    // Spans of the services that export telemetry: wait (bounded) for what the assertions below need, then a
    // little longer so late exports are scanned too (the scan's completeness, not its verdict, depends on that).
    await receiver.waitForSpans((spans) => new Set(spans.map((s) => s.serviceName)).size >= 3 && spans.length > 10, 60_000);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const text = JSON.stringify({ spans: receiver.spans, metrics: receiver.metrics }, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
    const secrets = [...Object.values(stack.keys), WRONG_KEY, UPSTREAM_KEYS.openai, UPSTREAM_KEYS.anthropic];
    // Name the span and field of any leak (never the leaked text itself).
    const where = (needle: string) =>
      receiver.spans.flatMap((span) => {
        const fields = { name: span.name, status: span.status.message ?? '', ...Object.fromEntries(Object.entries(span.attributes).map(([k, v]) => [`attribute ${k}`, JSON.stringify(v)])) };
        const events = span.events.flatMap((e) => Object.entries(e.attributes).map(([k, v]) => [`event ${e.name} ${k}`, JSON.stringify(v)] as const));
        return [...Object.entries(fields), ...events].filter(([, v]) => String(v).includes(needle)).map(([k]) => `${span.serviceName} "${span.name}" ${k}`);
      });
    expect(where(PROMPT)).toEqual([]);
    expect(text.includes(PROMPT)).toBe(false);
    for (const [i, secret] of secrets.entries()) expect(`secret #${i}: ${where(secret).join('; ')}${text.includes(secret)}`).toBe(`secret #${i}: false`);
    const services = [...new Set(receiver.spans.map((s) => s.serviceName ?? '?'))].sort();
    expect(receiver.spans.length).toBeGreaterThan(10);
    reportScenario('secrets/telemetry', { spans: receiver.spans.length, metrics: receiver.metrics.length, services: services.join(','), leaks: 0 });
  });

  it('no file a service wrote (outbox, dead letters, key file) holds a marker; only the config files hold keys', () => {
    const files = walk(stack.dir);
    for (const file of files) {
      const content = readFileSync(file);
      expect(`${file}: ${content.includes(PROMPT)}`).toBe(`${file}: false`);
      if (file.includes(`${join(stack.dir, 'config')}`)) continue; // the operator's config carries the router's service key by design
      for (const secret of [...Object.values(stack.keys), UPSTREAM_KEYS.openai, UPSTREAM_KEYS.anthropic]) expect(`${file}: ${content.includes(secret)}`).toBe(`${file}: false`);
    }
    reportScenario('secrets/files', { files: files.length, leaks: 0 });
  });
});

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? walk(join(dir, entry.name)) : [join(dir, entry.name)]));
}
