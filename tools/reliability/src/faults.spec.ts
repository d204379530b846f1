// Faults between processes: scripted upstream failures (429 with retry-after, 5xx bursts, slow first
// byte, a stream cut mid-way, malformed SSE) and TCP toxics on every hop (latency, bandwidth, reset,
// half-open stall, cut after N bytes). Every request must end with the right fallback or the right
// status, and the ledger must hold exactly the requests that consumed tokens: each success once,
// each stream that broke after its first token once (as PARTIAL), and nothing that was refused.
import { billing } from '@switchyard/contracts';
import { createRouterClient, type RouterServiceClient } from '@switchyard/sdk';
import type { UpstreamFault } from '@switchyard/testing';
import { percentile, runBoundedLoad, type LoadResult } from './harness/bounded-load';
import { startReliabilityStack, type ReliabilityStack } from './harness/reliability-stack';
import { generateOnce, streamOnce, type CallRecords } from './harness/router-calls';
import { reportScenario } from './harness/scenario-report';

// Far above any scheduling stall of a loaded 2-core CI machine, so only the cases that stall an upstream on
// purpose (slow first byte, half-open stall) ever reach it: a spurious fallback would change other cases' routes.
// Not near 5 s either: the fallback would then reuse keep-alive sockets to the other fake upstream just as
// Node's server closes them (its 5 s keepAliveTimeout), and the adapter reports that race as ECONNRESET.
const FIRST_BYTE_TIMEOUT_MS = 8000;
const LIMIT_BYTES = 1300;

describe('faults: upstream failures and TCP toxics, with usage accounted', () => {
  let stack: ReliabilityStack;
  let client: RouterServiceClient;
  const records: CallRecords = new Map();
  const totals = { requests: 0, succeeded: 0, refused: 0, brokenStreams: 0, ledgerRows: 0 };

  beforeAll(async () => {
    stack = await startReliabilityStack({
      label: 'faults',
      teams: ['acme'],
      // Each fault is judged on its own: a circuit that stays open between cases would change the next case's route.
      routerConfig: { firstByteTimeoutMs: FIRST_BYTE_TIMEOUT_MS, circuit: { consecutiveFailures: 1000, halfOpenAfterMs: 1000 } },
    });
    client = createRouterClient(stack.routers[0]!.address, { apiKey: stack.keys.acme });
  });

  afterAll(async () => {
    client?.close();
    reportScenario('faults/total', totals);
    await stack?.close();
  });

  afterEach(() => {
    stack.upstreams.openai.clearFaults();
    stack.upstreams.anthropic.clearFaults();
    for (const proxy of [...Object.values(stack.proxies.routerToAdapter), ...Object.values(stack.proxies.adapterToUpstream), ...stack.proxies.routerToBilling]) {
      proxy?.clearToxics();
    }
  });

  // Before each case the cheap path must answer again (a reset or stall leaves a channel in backoff, up to
  // the SDK's 5 s reconnect cap): a bounded wait for that event, not a guess at how long it takes.
  beforeEach(async () => {
    const deadline = Date.now() + 30_000;
    for (let probe = 0; Date.now() < deadline; probe++) {
      const result = await generateOnce(client, `probe-${caseNo + 1}-${probe}`, new Map()).catch(() => undefined);
      if (result?.provider === 'openai') return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('the openai path did not recover between cases');
  });

  let caseNo = 0;
  /** Runs `total` calls under the current faults and checks the ledger against what the callers saw. */
  async function runCase(name: string, options: { total: number; concurrency?: number; stream?: boolean; allowed: (code: string | undefined) => boolean }) {
    const prefix = `fault-${++caseNo}-${name}`;
    const load = await runBoundedLoad({
      total: options.total,
      concurrency: options.concurrency ?? 10,
      deadlineAt: Date.now() + 60_000,
      requestId: (i) => `${prefix}-${i}`,
      call: (id) => (options.stream ? streamOnce(client, id, records) : generateOnce(client, id, records)),
    });
    const unexpected = load.failed.filter((f) => !options.allowed(f.code));
    expect(unexpected.map((f) => `${f.requestId}: ${f.code} ${f.message}`)).toEqual([]);
    const ids = load.outcomes.map((o) => o.requestId);
    // Billed: every success, and every stream that delivered a delta before it broke.
    const billable = load.outcomes.filter((o) => o.ok || (records.get(o.requestId)?.deltas ?? 0) > 0).map((o) => o.requestId);
    const refused = ids.filter((id) => !billable.includes(id));
    const rows = await stack.ledger.waitFor('acme', (r) => billable.every((id) => r.some((row) => row.requestId === id)), 15_000);
    const reconciliation = await stack.ledger.reconcile(ids, 'acme');
    expect(reconciliation.duplicated).toEqual([]);
    expect(reconciliation.missing.sort()).toEqual(refused.sort());
    const broken = load.failed.filter((f) => billable.includes(f.requestId));
    for (const b of broken) {
      const row = rows.find((r) => r.requestId === b.requestId)!;
      expect(row.outcome).toBe(billing.UsageOutcome.PARTIAL);
      expect(row.outputTokens).toBeGreaterThan(0n);
      expect(b.code).toBe('UNAVAILABLE');
      expect(b.reason).toBe('STREAM_BROKEN');
      expect(records.get(b.requestId)?.partialUsage?.deliveredCharacters).toBeGreaterThan(0n);
    }
    for (const ok of load.succeeded) expect(rows.find((r) => r.requestId === ok.requestId)?.outcome).toBe(billing.UsageOutcome.SUCCESS);
    totals.requests += ids.length;
    totals.succeeded += load.succeeded.length;
    totals.refused += refused.length;
    totals.brokenStreams += broken.length;
    totals.ledgerRows += reconciliation.once.length;
    reportScenario(`faults/${name}`, {
      requests: ids.length,
      succeeded: load.succeeded.length,
      refused: refused.length,
      brokenStreamsBilledPartial: broken.length,
      ledgerRows: reconciliation.once.length,
      duplicates: reconciliation.duplicated.length,
      failures: load.failuresByCode,
      p50Ms: Math.round(percentile(load.outcomes.map((o) => o.latencyMs), 50)),
    });
    return load;
  }

  const providers = (load: LoadResult) => {
    const counts: Record<string, number> = {};
    for (const o of load.succeeded) counts[String(o.detail?.provider)] = (counts[String(o.detail?.provider)] ?? 0) + 1;
    return counts;
  };
  const plan = (fake: 'openai' | 'anthropic', faults: UpstreamFault[]) => stack.upstreams[fake].setFaults(faults);

  it('429 with retry-after from the cheap model: every request falls back and succeeds, one upstream call per attempt (no SDK retries)', async () => {
    stack.upstreams.openai.clearRequests();
    plan('openai', [{ kind: 'rate_limit', retryAfterSeconds: 7 }]);
    const load = await runCase('rate-limit-fallback', { total: 30, allowed: () => false });
    expect(providers(load)).toEqual({ anthropic: 30 });
    for (const o of load.succeeded) expect(o.detail?.attempts).toBe('openai:RESOURCE_EXHAUSTED,anthropic:OK');
    expect(stack.upstreams.openai.requests.filter((r) => r.path.endsWith('/chat/completions')).length).toBe(30);
  });

  it('429 from every provider: RESOURCE_EXHAUSTED with the upstream retry delay, nothing billed', async () => {
    plan('openai', [{ kind: 'rate_limit', retryAfterSeconds: 7 }]);
    plan('anthropic', [{ kind: 'rate_limit', retryAfterSeconds: 3 }]);
    const load = await runCase('rate-limit-everywhere', { total: 20, allowed: (code) => code === 'RESOURCE_EXHAUSTED' });
    expect(load.succeeded).toHaveLength(0);
    expect(new Set(load.failed.map((f) => f.reason))).toEqual(new Set(['UPSTREAM_RATE_LIMITED']));
    // The shortest retry-after of the providers (3 s) reaches the caller as RetryInfo.
    expect(new Set(load.failed.map((f) => f.retryDelayMs))).toEqual(new Set([3000]));
  });

  it('a burst of 5xx: fallback absorbs it, no request fails', async () => {
    plan('openai', [{ kind: 'server_error', times: 8 }, { kind: 'unavailable', times: 8 }]);
    const load = await runCase('5xx-burst', { total: 40, allowed: () => false });
    expect(providers(load).anthropic).toBeGreaterThanOrEqual(16);
  });

  it('every provider down (503 / overloaded): UNAVAILABLE naming each attempt, nothing billed', async () => {
    plan('openai', [{ kind: 'unavailable' }]);
    plan('anthropic', [{ kind: 'overloaded' }]);
    const load = await runCase('all-down', { total: 20, allowed: (code) => code === 'UNAVAILABLE' });
    for (const f of load.failed) expect(f.message).toMatch(/gpt-4\.1-nano.*claude-haiku-4-5|claude-haiku-4-5.*gpt-4\.1-nano/);
  });

  it('slow first byte beyond the first-byte timeout: fallback, and the slow upstream request is closed', async () => {
    // (Lower bounds on latency below are load-independent: a busy machine only adds time.)
    stack.upstreams.openai.clearRequests();
    plan('openai', [{ kind: 'slow_first_byte', delayMs: 4 * FIRST_BYTE_TIMEOUT_MS }]);
    const load = await runCase('slow-first-byte', { total: 10, allowed: () => false });
    expect(providers(load)).toEqual({ anthropic: 10 });
    for (const o of load.succeeded) expect(o.detail?.attempts).toMatch(/^openai:(DEADLINE_EXCEEDED|UNAVAILABLE),anthropic:OK$/);
    for (const o of load.succeeded) expect(o.latencyMs).toBeGreaterThanOrEqual(FIRST_BYTE_TIMEOUT_MS - 50);
    const slow = stack.upstreams.openai.requests.filter((r) => r.path.endsWith('/chat/completions'));
    expect(slow).toHaveLength(10);
    // The router's first-byte timeout cancels the adapter call, which aborts the upstream request (long before the fault's own delay ends).
    const deadline = Date.now() + 3 * FIRST_BYTE_TIMEOUT_MS;
    while (slow.some((r) => !r.clientAborted) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(slow.filter((r) => r.clientAborted)).toHaveLength(10);
  });

  it('a stream cut mid-way: UNAVAILABLE STREAM_BROKEN with PartialUsage, billed once as PARTIAL (no silent fallback after the first token)', async () => {
    plan('openai', [{ kind: 'stream_cut', afterChunks: 4 }]);
    const load = await runCase('stream-cut', { total: 20, stream: true, allowed: (code) => code === 'UNAVAILABLE' });
    expect(load.failed.length).toBe(20);
  });

  it('malformed SSE mid-stream: UNAVAILABLE STREAM_BROKEN, billed as PARTIAL; a malformed unary body falls back', async () => {
    plan('openai', [{ kind: 'malformed_sse', afterChunks: 3 }]);
    const streamed = await runCase('malformed-sse-stream', { total: 15, stream: true, allowed: (code) => code === 'UNAVAILABLE' });
    expect(streamed.failed.length).toBe(15);
    plan('openai', [{ kind: 'malformed_sse' }]);
    const unary = await runCase('malformed-body-unary', { total: 15, allowed: () => false });
    expect(providers(unary)).toEqual({ anthropic: 15 });
  });

  it('429 before a stream starts: the stream falls back and succeeds', async () => {
    plan('openai', [{ kind: 'rate_limit' }]);
    const load = await runCase('rate-limit-before-stream', { total: 20, stream: true, allowed: () => false });
    expect(providers(load)).toEqual({ anthropic: 20 });
  });

  it('toxic latency router → adapter (150 ms each way): every request succeeds, slower', async () => {
    stack.proxies.routerToAdapter.openai!.setToxics([{ kind: 'latency', latencyMs: 150, direction: 'both' }]);
    const load = await runCase('latency-router-adapter', { total: 30, allowed: () => false });
    expect(percentile(load.succeeded.map((o) => o.latencyMs), 50)).toBeGreaterThanOrEqual(290);
  });

  it('connection reset router → adapter: fallback to the other adapter, nothing lost', async () => {
    stack.proxies.routerToAdapter.openai!.setToxics([{ kind: 'reset_peer', scope: 'all' }]);
    const load = await runCase('reset-router-adapter', { total: 30, allowed: () => false });
    expect(providers(load)).toEqual({ anthropic: 30 });
    // Each call tried the reset path and fell back, or the catalog had already marked the adapter down.
    for (const o of load.succeeded) expect(o.detail?.attempts).toMatch(/^(openai:UNAVAILABLE,)?anthropic:OK$/);
  });

  it('half-open stall adapter → upstream: the first-byte timeout falls back', async () => {
    stack.proxies.adapterToUpstream.openai!.setToxics([{ kind: 'timeout' }]);
    const load = await runCase('stall-adapter-upstream', { total: 10, allowed: () => false });
    expect(providers(load)).toEqual({ anthropic: 10 });
    // The cheap model was really tried and timed out waiting for its first byte.
    // (The adapter reports the aborted upstream call as DEADLINE_EXCEEDED, or UNAVAILABLE when its own timer wins the race.)
    for (const o of load.succeeded) expect(o.detail?.attempts).toMatch(/^openai:(DEADLINE_EXCEEDED|UNAVAILABLE),anthropic:OK$/);
    for (const o of load.succeeded) expect(o.latencyMs).toBeGreaterThanOrEqual(FIRST_BYTE_TIMEOUT_MS - 100);
  });

  it('cut after N bytes adapter → upstream on streams: each stream succeeds by fallback or breaks with partial billing', async () => {
    // The response head and the first SSE events pass; the connection closes mid-stream.
    stack.proxies.adapterToUpstream.openai!.setToxics([{ kind: 'limit_data', bytes: LIMIT_BYTES, direction: 'downstream' }]);
    await runCase('limit-data-adapter-upstream', { total: 20, stream: true, allowed: (code) => code === 'UNAVAILABLE' });
  });

  it('bandwidth limit adapter → upstream (4 KB/s): answers arrive, slower', async () => {
    stack.proxies.adapterToUpstream.openai!.setToxics([{ kind: 'bandwidth', bytesPerSecond: 4096, direction: 'both' }]);
    await runCase('bandwidth-adapter-upstream', { total: 10, stream: true, allowed: () => false });
  });

  it('router → billing stalled: serving continues (fail-open), the outbox drains once billing is reachable', async () => {
    stack.proxies.routerToBilling[0]!.setToxics([{ kind: 'timeout' }]);
    const prefix = 'fault-billing-stall';
    const load = await runBoundedLoad({
      total: 60,
      concurrency: 10,
      deadlineAt: Date.now() + 60_000,
      requestId: (i) => `${prefix}-${i}`,
      call: (id) => generateOnce(client, id, records),
    });
    expect(load.failed).toEqual([]);
    stack.proxies.routerToBilling[0]!.clearToxics();
    const ids = load.outcomes.map((o) => o.requestId);
    await stack.ledger.waitFor('acme', (rows) => ids.every((id) => rows.some((r) => r.requestId === id)), 30_000);
    const reconciliation = await stack.ledger.reconcile(ids, 'acme');
    expect(reconciliation.missing).toEqual([]);
    expect(reconciliation.duplicated).toEqual([]);
    totals.requests += ids.length;
    totals.succeeded += load.succeeded.length;
    totals.ledgerRows += reconciliation.once.length;
    reportScenario('faults/billing-stalled', { requests: ids.length, succeeded: load.succeeded.length, ledgerRows: reconciliation.once.length, duplicates: 0 });
  });
});
