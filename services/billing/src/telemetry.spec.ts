import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBillingClient, type BillingServiceClient } from '@switchyard/sdk';
import { encodeTraceLinks, TRACE_LINKS_METADATA_KEY } from '@switchyard/telemetry';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '@switchyard/telemetry/testing/otlp-receiver';
import { startBillingProcess, type BillingProcess } from './testing/billing-process';
import { createTestKeys } from './testing/test-keys';
import { usageRecord } from './testing/usage-records';

// Billing as deployments run it (telemetry started by main.ts's first import), exporting to an OTLP
// receiver in this process: the budget calls' server spans name the team charged, and a RecordUsage
// batch gets usage.ingest spans linking to each request's trace, at most 128 links per span.
const keys = createTestKeys({ router: ['ops', 'service'] });
let folder: string;
let receiver: OtlpReceiver;
let billingProcess: BillingProcess;
let client: BillingServiceClient;

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'billing-telemetry-'));
  writeFileSync(join(folder, 'api-keys.json'), keys.fileContent);
  receiver = await startOtlpReceiver();
  billingProcess = await startBillingProcess({
    DATABASE_URL: '',
    SWITCHYARD_DATABASE__DATA_DIR: join(folder, 'data'),
    SWITCHYARD_AUTH__API_KEYS_FILE: join(folder, 'api-keys.json'),
    SWITCHYARD_BOOTSTRAP_TEAMS: '[{teamId: alpha, baselineModel: openai/gpt-4o}]',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_BSP_SCHEDULE_DELAY: '50',
    OTEL_METRICS_EXPORTER: 'none',
  });
  client = createBillingClient(billingProcess.address, { apiKey: keys.secrets.router, timeoutMs: 30_000 });
}, 90_000);

afterAll(async () => {
  client?.close();
  await billingProcess?.stop();
  await receiver?.close();
  rmSync(folder, { recursive: true, force: true });
});

const serverSpan = (method: string) => (s: ReceivedSpan) => s.kind === 'SERVER' && s.name === `switchyard.billing.v1.BillingService/${method}`;
const traceparent = (n: number) => `00-${(0xabc000 + n).toString(16).padStart(32, '0')}-${(n + 1).toString(16).padStart(16, '0')}-01`;

it('puts the team and project charged on the ReserveBudget and SettleBudget server spans', async () => {
  const hold = await client.reserveBudget({ requestId: 'hold-telemetry-1', teamId: 'alpha', project: 'search', amountNanosUsd: 5_000_000n });
  await client.settleBudget({ reservationId: hold.reservationId, actualNanosUsd: 1_000n });
  const spans = await receiver.waitForSpans((all) => all.some(serverSpan('ReserveBudget')) && all.some(serverSpan('SettleBudget')));
  expect(spans.find(serverSpan('ReserveBudget'))?.attributes).toMatchObject({
    'switchyard.team': 'alpha',
    'switchyard.project': 'search',
    'switchyard.budget.held_nanos_usd': 5_000_000,
    'switchyard.budget.reservation_id': hold.reservationId,
    'rpc.status_code': 'OK',
  });
  expect(spans.find(serverSpan('SettleBudget'))?.attributes).toMatchObject({
    'switchyard.team': 'alpha',
    'switchyard.project': 'search',
    'switchyard.budget.reservation_id': hold.reservationId,
  });
});

it('links a RecordUsage batch to each recorded request, 128 links per usage.ingest span', async () => {
  const time = new Date(Date.now() - 60_000);
  const records = Array.from({ length: 130 }, (_, i) => usageRecord({ requestId: `ingest-${i}`, time, teamId: 'alpha' }));
  const traceparents = records.map((_, i) => traceparent(i));
  const response = await client.recordUsage({ records }, { metadata: { [TRACE_LINKS_METADATA_KEY]: encodeTraceLinks(traceparents) } });
  expect(response.results).toHaveLength(130);

  const spans = await receiver.waitForSpans((all) => all.filter((s) => s.name === 'usage.ingest').length >= 2 && all.some(serverSpan('RecordUsage')));
  const server = spans.find(serverSpan('RecordUsage'));
  if (!server) throw new Error('no RecordUsage server span');
  const ingest = spans.filter((s) => s.name === 'usage.ingest');
  expect(ingest.map((s) => [s.kind, s.parentSpanId, s.traceId])).toEqual([
    ['INTERNAL', server.spanId, server.traceId],
    ['INTERNAL', server.spanId, server.traceId],
  ]);
  expect(ingest.map((s) => s.attributes['switchyard.usage.records'])).toEqual(expect.arrayContaining([128, 2]));
  const links = ingest.flatMap((s) => s.links);
  expect(links).toHaveLength(130);
  expect(new Set(links.map((l) => `00-${l.traceId}-${l.spanId}-01`))).toEqual(new Set(traceparents));
  expect(links.find((l) => l.attributes['switchyard.request_id'] === 'ingest-7')).toMatchObject({
    traceId: traceparent(7).split('-')[1],
    attributes: { 'switchyard.team': 'alpha' },
  });
});

it('drains, shuts telemetry down last and exits 0 on SIGTERM', async () => {
  expect(await billingProcess.stop()).toBe(0);
});
