// One request, one trace, across real processes: the router (services/router/src/main.ts) and
// adapter-openai (services/adapter-openai/src/main.ts), each starting telemetry on its first line,
// against the fake OpenAI upstream; billing is the in-process fake (its spans are not part of this
// test). Both processes export OTLP to a receiver in this process, which decodes it here.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiKeyStore } from '@switchyard/grpc-kit';
import { chatMessage, createRouterClient, messageText, type RouterServiceClient } from '@switchyard/sdk';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedMetric, type ReceivedSpan } from '@switchyard/telemetry/testing/otlp-receiver';
import { startFakeOpenAI, type FakeUpstream } from '@switchyard/testing';
import { startFakeBilling, type FakeBilling } from './testing/fake-billing-service';
import { startServiceProcess, type ServiceProcess } from './testing/service-process';

jest.setTimeout(60_000);

const MARKER = 'OKAPI-MARKER-3c9e';
const POLICY = `
version: 1
qualityPriors:
  openai/gpt-4.1-nano: { default: 0.9 }
  openai/gpt-4o-mini: { default: 0.95 }
teams:
  acme:
    models: [openai/gpt-4.1-nano, openai/gpt-4o-mini]
    qualityTarget: 0.5
    baselineModel: openai/gpt-4o-mini
`;

let dir: string;
let receiver: OtlpReceiver;
let upstream: FakeUpstream;
let billing: FakeBilling;
let adapter: ServiceProcess;
let routerProcess: ServiceProcess;
let client: RouterServiceClient;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'router-trace-'));
  const keyFile = join(dir, 'api-keys.json');
  const policyFile = join(dir, 'policy.yaml');
  writeFileSync(policyFile, POLICY);
  const keys = createApiKeyStore({ file: keyFile });
  const acme = keys.issue('acme', 'team').secret;
  const service = keys.issue('router', 'service').secret;

  [receiver, upstream, billing] = await Promise.all([startOtlpReceiver(), startFakeOpenAI(), startFakeBilling()]);
  const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf', OTEL_BSP_SCHEDULE_DELAY: '50' };
  const adapterEnv = {
    ...otel,
    SWITCHYARD_LOG_LEVEL: 'info', // its listening line is an info log
    SWITCHYARD_LISTEN: '127.0.0.1:0',
    SWITCHYARD_UPSTREAM__BASE_URL: upstream.baseURL,
    OPENAI_API_KEY: upstream.apiKey,
    OTEL_METRIC_EXPORT_INTERVAL: '600000',
  };
  adapter = await startServiceProcess('adapter-openai', adapterEnv, 60_000, 'log');
  routerProcess = await startServiceProcess('router', {
    ...otel,
    SWITCHYARD_LOG_LEVEL: 'info',
    SWITCHYARD_LISTEN: '127.0.0.1:0',
    SWITCHYARD_KEY_FILE: keyFile,
    SWITCHYARD_POLICY_FILE: policyFile,
    SWITCHYARD_ADAPTERS: `[{name: openai-a, address: "${adapter.address}"}]`,
    SWITCHYARD_BILLING__ADDRESS: billing.address,
    SWITCHYARD_BILLING__API_KEY: service,
    SWITCHYARD_OUTBOX__DIR: join(dir, 'outbox'),
    SWITCHYARD_OUTBOX__LINGER_MS: '2',
    SWITCHYARD_CLASSIFIER__KIND: 'heuristic',
    // Metrics are read from the receiver: export them often.
    OTEL_METRIC_EXPORT_INTERVAL: '200',
  });
  client = createRouterClient(routerProcess.address, { apiKey: acme, timeoutMs: 15_000 });
});

afterAll(async () => {
  client?.close();
  await Promise.all([routerProcess?.stop('SIGTERM', 5000), adapter?.stop('SIGTERM', 5000)]);
  await Promise.all([billing?.stop(), upstream?.close(), receiver?.close()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A caller's trace context, and baggage that tries to charge another team (the router must drop it). */
const caller = (traceId: string, spanId = '00f067aa0ba902b7') => ({
  traceparent: `00-${traceId}-${spanId}-01`,
  baggage: 'switchyard.team=victim-team,switchyard.project=stolen',
});
const must = <T>(value: T | undefined, what: string): T => {
  if (value === undefined) throw new Error(`missing ${what}`);
  return value;
};
const toJson = (value: unknown) => JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
const one = (spans: ReceivedSpan[], predicate: (s: ReceivedSpan) => boolean, what: string): ReceivedSpan => {
  const found = spans.filter(predicate);
  if (found.length !== 1) throw new Error(`expected one ${what}, found ${found.length}: ${spans.map((s) => `${s.serviceName}:${s.name}`).join(', ')}`);
  return must(found[0], what);
};
const router = (name: string) => (s: ReceivedSpan) => s.serviceName === 'router' && s.name === name;
const adapterSpan = (name: string) => (s: ReceivedSpan) => s.serviceName === 'adapter-openai' && s.name === name;
const upstreamCall = adapterSpan('POST');
const adapterServerSpan = (s: ReceivedSpan) => s.serviceName === 'adapter-openai' && s.kind === 'SERVER';

/**
 * Every span of a trace, once `complete` holds for them (bounded by the receiver's timeout). A
 * process exports its spans in the order they end and a server span ends last, so waiting for
 * each process's server span(s) waits for all of that process's spans.
 */
async function traceSpans(traceId: string, complete: (spans: ReceivedSpan[]) => boolean): Promise<ReceivedSpan[]> {
  const ofTrace = (all: ReceivedSpan[]) => all.filter((s) => s.traceId === traceId);
  return ofTrace(await receiver.waitForSpans((all) => complete(ofTrace(all))));
}

/** The row billing recorded for a request, once the router's outbox has delivered it (bounded). */
async function ledgerRow(requestId: string) {
  for (let i = 0; i < 200 && !billing.state.ledger.has(requestId); i++) await new Promise((resolve) => setTimeout(resolve, 25));
  const row = billing.state.ledger.get(requestId);
  if (!row) throw new Error(`billing never recorded ${requestId}`);
  return row;
}

describe('router → adapter-openai → upstream in one trace (real processes, OTLP decoded here)', () => {
  const costs: bigint[] = [];
  const replies: string[] = [];

  it('links router and adapter spans into one trace, with attribution from the key and GenAI/cost attributes equal to the response', async () => {
    const traceId = '5bf92f3577b34da6a3ce929d0e0e4731';
    const response = await client.generate(
      {
        model: 'openai/gpt-4o-mini',
        messages: [chatMessage('user', `Summarise the ${MARKER} report please`)],
        params: { maxOutputTokens: 64, temperature: 0.3 },
        context: { requestId: 'trace-clean-1', project: 'search', featureTags: ['feature:summaries'] },
      },
      { metadata: caller(traceId) },
    );
    const usage = must(response.usage, 'usage');
    const cost = must(response.cost, 'cost');
    costs.push(cost.nanosUsd);
    replies.push(messageText(response.message));
    expect(response.traceId).toBe(traceId);

    const spans = await traceSpans(traceId, (s) => s.some(router('switchyard.router.v1.RouterService/Generate')) && s.some(adapterServerSpan));
    const server = one(spans, router('switchyard.router.v1.RouterService/Generate'), 'router server span');
    const decide = one(spans, router('route.decide'), 'route.decide');
    const reserve = one(spans, router('budget.reserve'), 'budget.reserve');
    const reserveCall = one(spans, router('switchyard.billing.v1.BillingService/ReserveBudget'), 'ReserveBudget client span');
    const chat = one(spans, router('chat gpt-4o-mini'), 'router chat span');
    const providerCall = one(spans, router('switchyard.provider.v1.ProviderService/Generate'), 'ProviderService client span');
    const settle = one(spans, router('budget.settle'), 'budget.settle');
    const adapterServer = one(spans, adapterServerSpan, 'adapter server span');
    const adapterChat = one(spans, adapterSpan('chat gpt-4o-mini'), 'adapter chat span');
    const http = one(spans, upstreamCall, 'upstream HTTP span');

    // The tree, from the caller's traceparent down to the upstream HTTP request.
    expect(server).toMatchObject({ kind: 'SERVER', parentSpanId: '00f067aa0ba902b7' });
    for (const child of [decide, reserve, chat, settle]) expect({ name: child.name, parent: child.parentSpanId }).toEqual({ name: child.name, parent: server.spanId });
    expect(reserveCall.parentSpanId).toBe(reserve.spanId);
    expect(chat.kind).toBe('CLIENT');
    expect(providerCall.parentSpanId).toBe(chat.spanId);
    expect(adapterServer.parentSpanId).toBe(providerCall.spanId);
    expect(adapterChat.parentSpanId).toBe(adapterServer.spanId);
    expect(http.parentSpanId).toBe(adapterChat.spanId);
    // Span starts are whole milliseconds (Date.now), so order is checked per millisecond.
    expect(ms(decide.endTimeUnixNano)).toBeLessThanOrEqual(ms(reserve.startTimeUnixNano));
    expect(ms(reserve.endTimeUnixNano)).toBeLessThanOrEqual(ms(chat.startTimeUnixNano));
    expect(ms(chat.endTimeUnixNano)).toBeLessThanOrEqual(ms(settle.startTimeUnixNano));

    // Team from the API key, project and tags from the request, on every span in both processes; the caller's baggage nowhere.
    for (const span of spans) {
      expect({ span: `${span.serviceName}:${span.name}`, team: span.attributes['switchyard.team'], project: span.attributes['switchyard.project'] }).toEqual({
        span: `${span.serviceName}:${span.name}`,
        team: 'acme',
        project: 'search',
      });
    }
    expect(chat.attributes['switchyard.feature_tags']).toEqual(['feature:summaries']);
    expect(toJson(spans)).not.toContain('victim-team');

    // The attempt's GenAI attributes and cost equal the response's usage and cost (the figures billing records).
    expect(chat.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.request.max_tokens': 64,
      'gen_ai.request.temperature': 0.3,
      'gen_ai.response.model': response.responseModel,
      'gen_ai.response.id': adapterChat.attributes['gen_ai.response.id'],
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': Number(usage.inputTokens + usage.cachedInputTokens),
      'gen_ai.usage.output_tokens': Number(usage.outputTokens),
      'gen_ai.usage.cache_read.input_tokens': Number(usage.cachedInputTokens),
      'gen_ai.usage.reasoning.output_tokens': Number(usage.reasoningTokens),
      'gen_ai.usage.cost': Number(cost.nanosUsd) / 1e9,
      'switchyard.cost.nanos_usd': Number(cost.nanosUsd),
      'switchyard.cost.price_version': cost.priceVersion,
      'switchyard.cost.baseline_nanos_usd': Number(cost.baselineNanosUsd),
      'switchyard.cost.baseline_model': 'openai/gpt-4o-mini',
      'server.address': '127.0.0.1',
      'server.port': Number(adapter.address.split(':')[1]),
      'switchyard.request_id': 'trace-clean-1',
      'switchyard.attempt': 1,
    });
    expect(cost.nanosUsd).toBeGreaterThan(0n);
    expect(usage.outputTokens).toBeGreaterThan(0n);
    expect(chat.attributes['switchyard.fallback.from']).toBeUndefined();
    expect(chat.status.code).toBe('UNSET');
    expect(server.attributes).toMatchObject({ 'switchyard.cost.nanos_usd': Number(cost.nanosUsd), 'gen_ai.usage.cost': Number(cost.nanosUsd) / 1e9, 'rpc.status_code': 'OK' });
    expect(adapterChat.attributes).toMatchObject({ 'gen_ai.usage.output_tokens': Number(usage.outputTokens), 'server.port': upstream.port });

    // route.decide and the budget spans.
    expect(decide.attributes).toMatchObject({
      'switchyard.route.chosen': 'openai/gpt-4o-mini',
      'switchyard.route.rule': 'pinned',
      'switchyard.classifier.task_class': expect.stringMatching(/^TASK_CLASS_[A-Z]+$/),
      'switchyard.classifier.difficulty': expect.any(Number),
    });
    expect(decide.attributes['switchyard.route.candidates']).toEqual(expect.arrayContaining(['openai/gpt-4o-mini']));
    const hold = [...billing.state.holds.entries()].find(([, h]) => h.requestId === 'trace-clean-1');
    expect(reserve.attributes).toMatchObject({ 'switchyard.budget.reservation_id': hold?.[0], 'switchyard.budget.held_nanos_usd': Number(hold?.[1].amount) });
    expect(settle.attributes['switchyard.budget.reservation_id']).toBe(hold?.[0]);

    // Billing got the row with the same cost, and the server span's traceparent for its ingest span's link.
    const row = await ledgerRow('trace-clean-1');
    expect(row.cost.nanosUsd).toBe(cost.nanosUsd);
    expect(billing.state.traceparents.get('trace-clean-1')).toBe(`00-${traceId}-${server.spanId}-01`);
  });

  it('shows a fallback as two attempts: the failed one ERROR with error.type, the next with switchyard.fallback.from', async () => {
    upstream.setFaults([{ kind: 'unavailable', model: 'gpt-4.1-nano' }]);
    try {
      const traceId = '5bf92f3577b34da6a3ce929d0e0e4732';
      const response = await client.generate(
        { messages: [chatMessage('user', `hi, how are you? ${MARKER}`)], context: { requestId: 'trace-fallback-1', project: 'search' } },
        { metadata: caller(traceId) },
      );
      const cost = must(response.cost, 'cost');
      costs.push(cost.nanosUsd);
      expect(response.route?.fallbacks).toBe(1);
      expect(response.route?.chosen?.model).toBe('gpt-4o-mini');

      const spans = await traceSpans(traceId, (s) => s.some(router('switchyard.router.v1.RouterService/Generate')) && s.filter(adapterServerSpan).length >= 2);
      const server = one(spans, router('switchyard.router.v1.RouterService/Generate'), 'router server span');
      const decide = one(spans, router('route.decide'), 'route.decide');
      const failed = one(spans, router('chat gpt-4.1-nano'), 'failed attempt');
      const answered = one(spans, router('chat gpt-4o-mini'), 'fallback attempt');
      expect(decide.attributes).toMatchObject({ 'switchyard.route.chosen': 'openai/gpt-4.1-nano', 'switchyard.route.rule': 'cheapest_meeting_quality' });
      expect(failed).toMatchObject({ parentSpanId: server.spanId, kind: 'CLIENT', status: { code: 'ERROR' } });
      expect(failed.attributes).toMatchObject({ 'error.type': 'UNAVAILABLE', 'switchyard.attempt': 1, 'switchyard.team': 'acme' });
      expect(failed.attributes['switchyard.cost.nanos_usd']).toBeUndefined();
      expect(answered).toMatchObject({ parentSpanId: server.spanId, status: { code: 'UNSET' } });
      expect(answered.attributes).toMatchObject({
        'switchyard.attempt': 2,
        'switchyard.fallback.from': 'openai/gpt-4.1-nano',
        'switchyard.cost.nanos_usd': Number(cost.nanosUsd),
        'gen_ai.usage.output_tokens': Number(response.usage?.outputTokens),
      });
      expect(answered.attributes['error.type']).toBeUndefined();
      expect(ms(failed.endTimeUnixNano)).toBeLessThanOrEqual(ms(answered.startTimeUnixNano));
      // The failed attempt's adapter call failed too, with the upstream's 503 under it.
      const failedCall = one(spans, (s) => s.serviceName === 'router' && s.parentSpanId === failed.spanId, 'failed attempt gRPC call');
      expect(failedCall.attributes['rpc.status_code']).toBe('UNAVAILABLE');
      expect(spans.filter(upstreamCall).map((s) => s.attributes['http.response.status_code']).sort()).toEqual([200, 503]);
      expect(server).toMatchObject({ status: { code: 'UNSET' } });
      expect(server.attributes['switchyard.cost.nanos_usd']).toBe(Number(cost.nanosUsd));
      // The router's log line about the failed attempt leads to this trace.
      const logLine = routerProcess.output.find((line) => line.includes('attempt failed; falling back') && line.includes('trace-fallback-1'));
      expect(logLine).toContain(`"trace_id":"${traceId}"`);
    } finally {
      upstream.clearFaults();
    }
  });

  it('keeps a streamed attempt span open to the end, with time to first chunk and the final usage and cost', async () => {
    const traceId = '5bf92f3577b34da6a3ce929d0e0e4733';
    let final: { usage?: { inputTokens: bigint; outputTokens: bigint; cachedInputTokens: bigint }; cost?: { nanosUsd: bigint }; traceId: string } | undefined;
    let deltas = 0;
    for await (const event of client.streamGenerate(
      { model: 'openai/gpt-4o-mini', messages: [chatMessage('user', `Tell the ${MARKER} story in a few words`)], context: { requestId: 'trace-stream-1', project: 'search' } },
      { metadata: caller(traceId) },
    )) {
      if (event.event.case === 'delta') deltas++;
      if (event.event.case === 'final') final = event.event.value;
    }
    expect(deltas).toBeGreaterThan(0);
    expect(final?.traceId).toBe(traceId);
    const usage = must(final?.usage, 'final usage');
    const cost = must(final?.cost, 'final cost');
    costs.push(cost.nanosUsd);

    const spans = await traceSpans(traceId, (s) => s.some(router('switchyard.router.v1.RouterService/StreamGenerate')) && s.some(adapterServerSpan));
    const server = one(spans, router('switchyard.router.v1.RouterService/StreamGenerate'), 'router server span');
    const chat = one(spans, router('chat gpt-4o-mini'), 'router chat span');
    const providerCall = one(spans, router('switchyard.provider.v1.ProviderService/StreamGenerate'), 'ProviderService client span');
    const adapterServer = one(spans, adapterServerSpan, 'adapter server span');
    expect(chat.parentSpanId).toBe(server.spanId);
    expect(providerCall.parentSpanId).toBe(chat.spanId);
    expect(adapterServer.parentSpanId).toBe(providerCall.spanId);
    expect(chat.attributes).toMatchObject({
      'gen_ai.request.stream': true,
      'gen_ai.usage.input_tokens': Number(usage.inputTokens + usage.cachedInputTokens),
      'gen_ai.usage.output_tokens': Number(usage.outputTokens),
      'switchyard.cost.nanos_usd': Number(cost.nanosUsd),
      'switchyard.team': 'acme',
      'switchyard.attempt': 1,
    });
    const firstChunkSeconds = chat.attributes['gen_ai.response.time_to_first_chunk'];
    expect(firstChunkSeconds).toEqual(expect.any(Number));
    expect(chat.status.code).toBe('UNSET');
    // The attempt span covers the relay, not just the wait for the first chunk.
    expect(Number(chat.endTimeUnixNano - chat.startTimeUnixNano) / 1e9).toBeGreaterThan(firstChunkSeconds as number);
    expect(server.attributes['switchyard.cost.nanos_usd']).toBe(Number(cost.nanosUsd));
    await ledgerRow('trace-stream-1');
    expect(billing.state.traceparents.get('trace-stream-1')).toBe(`00-${traceId}-${server.spanId}-01`);
  });

  it('exports the cost counter (equal to the responses), the fallback counter and the outbox depth', async () => {
    const expected = Number(costs.reduce((sum, c) => sum + c, 0n));
    const latest = (all: ReceivedMetric[], name: string) => all.filter((m) => m.serviceName === 'router' && m.name === name).at(-1);
    const costOf = (all: ReceivedMetric[]) => latest(all, 'switchyard.cost.nanos_usd')?.points.filter((p) => p.attributes['switchyard.team'] === 'acme').reduce((sum, p) => sum + (p.value ?? 0), 0);
    const metrics = await receiver.waitForMetrics((all) => costOf(all) === expected && latest(all, 'switchyard.router.fallbacks') !== undefined);
    expect(latest(metrics, 'switchyard.cost.nanos_usd')?.points.map((p) => p.attributes)).toEqual(
      expect.arrayContaining([expect.objectContaining({ 'switchyard.team': 'acme', 'switchyard.project': 'search', 'gen_ai.provider.name': 'openai', 'gen_ai.request.model': 'gpt-4o-mini' })]),
    );
    expect(latest(metrics, 'switchyard.router.fallbacks')?.points).toEqual([
      expect.objectContaining({ value: 1, attributes: { 'switchyard.fallback.from': 'openai/gpt-4.1-nano', 'switchyard.fallback.reason': 'UNAVAILABLE', 'switchyard.team': 'acme' } }),
    ]);
    expect(latest(metrics, 'switchyard.outbox.depth')?.points[0]?.value).toEqual(expect.any(Number));
  });

  it('records a request admitted under a budget lease on budget.reserve, without a call to billing', async () => {
    // The key's first request without a request id takes its own hold, the second the lease, the third is admitted in memory.
    const traceIds = ['6bf92f3577b34da6a3ce929d0e0e4731', '6bf92f3577b34da6a3ce929d0e0e4732', '6bf92f3577b34da6a3ce929d0e0e4733'];
    for (const traceId of traceIds) {
      const response = await client.generate({ messages: [chatMessage('user', 'hello there')], context: { project: 'leased' } }, { metadata: caller(traceId) });
      costs.push(must(response.cost, 'cost').nanosUsd);
    }
    const spans = await traceSpans(traceIds[2]!, (s) => s.some(router('switchyard.router.v1.RouterService/Generate')));
    const reserve = one(spans, router('budget.reserve'), 'budget.reserve');
    const leaseId = reserve.attributes['switchyard.budget.lease_id'];
    expect(reserve.attributes).toMatchObject({ 'switchyard.budget.lease': true, 'switchyard.budget.lease_id': expect.stringMatching(/^lease:/), 'switchyard.budget.held_nanos_usd': expect.any(Number) });
    expect(reserve.attributes['switchyard.budget.reservation_id']).toBeUndefined();
    expect(spans.filter(router('switchyard.billing.v1.BillingService/ReserveBudget'))).toEqual([]);
    expect([...billing.state.holds.values()].find((h) => h.requestId === leaseId)?.state).toBe('held');
  });

  it('puts no prompt or completion text in any span or log line of either process', async () => {
    expect(upstream.requests.filter((r) => toJson(r.body).includes(MARKER)).length).toBeGreaterThanOrEqual(4);
    const everything = toJson(receiver.spans);
    expect(everything).not.toContain(MARKER);
    expect(replies[0]?.length).toBeGreaterThan(10);
    for (const reply of replies) expect(everything).not.toContain(reply);
    expect([...routerProcess.output, ...adapter.output].filter((line) => line.includes(MARKER))).toEqual([]);
  });

  it('flushes telemetry as the last step of a graceful shutdown and exits 0', async () => {
    expect(await routerProcess.stop('SIGTERM', 10_000)).toBe(0);
  });
});

function ms(nanos: bigint): bigint {
  return nanos / 1_000_000n;
}
