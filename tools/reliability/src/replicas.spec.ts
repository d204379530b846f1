// Replicas: two routers and two billing processes over one PostgreSQL. 200 requests against a budget
// that fits exactly 100 of their holds: exactly 100 are served, the other 100 get RESOURCE_EXHAUSTED,
// and the team's spend never passes its limit (overshoot 0). Upstream traffic is held back (a stalled
// proxy) until every hold is decided, so "all holds are decided while every request is in flight" is
// a fact the test establishes, not a bet on how fast the machine is.
import { billing } from '@switchyard/contracts';
import { chatMessage, createBillingClient, createRouterClient, SwitchyardError, type RouterServiceClient } from '@switchyard/sdk';
import { startReliabilityStack, type ReliabilityStack } from './harness/reliability-stack';
import { reportScenario } from './harness/scenario-report';

const PROMPT = 'Summarise the benefits of unit tests in one sentence.';
const MAX_OUTPUT_TOKENS = 64;
/** The fake upstreams are Node HTTP servers: they close an idle keep-alive connection after 5 s. */
const UPSTREAM_KEEP_ALIVE_MS = 5000;

describe('replicas: 2 routers + 2 billing over one PostgreSQL', () => {
  let stack: ReliabilityStack;
  const routers: RouterServiceClient[] = [];

  beforeAll(async () => {
    stack = await startReliabilityStack({
      label: 'replicas',
      teams: ['race', 'spread', 'restricted'],
      routers: 2,
      billings: 2,
      adapters: ['openai', 'anthropic'],
      // A hold that times out under load must not turn into an unchecked request: this team's limit is hard.
      // Upstream answers are held until the holds are decided: no first-byte or upstream timeout may fire meanwhile.
      routerConfig: { budget: { failureMode: 'failClosed' }, billing: { reserveTimeoutMs: 10_000 }, firstByteTimeoutMs: 150_000 },
      adapterConfig: { upstream: { timeoutMs: 150_000 } },
    });
    for (const router of stack.routers) routers.push(createRouterClient(router.address, { apiKey: stack.keys.race }));
  });

  afterAll(async () => {
    for (const r of routers) r.close();
    await stack?.close();
  });

  /**
   * Holds every adapter → upstream connection (requests wait in the proxies) until the returned release
   * is called. First both routers must reach the cheap model again (a circuit opened by an earlier
   * scenario would turn held requests into refusals), then the upstreams stay quiet for longer than
   * their servers' keep-alive timeout (Node's 5 s): an idle keep-alive socket the server closes during the
   * stall would have its FIN held by the proxy, be reused by the adapter, and fail with ECONNRESET on release.
   */
  const holdUpstreams = async () => {
    const probes = stack.routers.map((r) => createRouterClient(r.address, { apiKey: stack.keys.spread }));
    try {
      for (const [i, probe] of probes.entries()) {
        await until(
          () =>
            probe.generate({ messages: [chatMessage('user', 'probe')], context: { requestId: `probe-${i}-${Date.now()}` } }, { timeoutMs: 10_000 }).then(
              (r) => r.route?.chosen?.provider === 'openai',
              () => false,
            ),
          `router ${i} answering through the cheap model`,
          30_000,
        );
      }
    } finally {
      for (const probe of probes) probe.close();
    }
    await new Promise((resolve) => setTimeout(resolve, UPSTREAM_KEEP_ALIVE_MS + 1000));
    const proxies = Object.values(stack.proxies.adapterToUpstream);
    for (const proxy of proxies) proxy!.setToxics([{ kind: 'timeout' }]);
    return () => {
      for (const proxy of proxies) proxy!.clearToxics();
    };
  };
  /** Waits (bounded) until `condition` resolves true, checking every 50 ms. */
  const until = async (condition: () => Promise<boolean> | boolean, what: string, timeoutMs = 120_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const reserved = async (team: string) => (await stack.ledger.budget(team))?.reservedNanos ?? 0n;

  it('both routers share the load and every request reaches the ledger once', async () => {
    const clients = stack.routers.map((r) => createRouterClient(r.address, { apiKey: stack.keys.spread }));
    try {
      const ids = Array.from({ length: 100 }, (_, i) => `spread-${i}`);
      const results = await Promise.all(
        ids.map((requestId, i) => clients[i % 2]!.generate({ messages: [chatMessage('user', PROMPT)], context: { requestId } }, { timeoutMs: 30_000 })),
      );
      expect(results).toHaveLength(100);
      await stack.ledger.waitFor('spread', (rows) => rows.length >= 100, 30_000);
      const reconciliation = await stack.ledger.reconcile(ids, 'spread');
      expect(reconciliation.once).toHaveLength(100);
      reportScenario('replicas/spread', { requests: 100, served: results.length, ledgerRows: reconciliation.once.length, duplicates: reconciliation.duplicated.length });
    } finally {
      for (const c of clients) c.close();
    }
  });

  it('200 requests against a budget that fits 100 holds, across both routers: exactly 100 served, overshoot 0', async () => {
    // The hold the router takes per request (price × (estimated input + max output tokens)).
    const explained = await routers[0]!.explainRoute({ messages: [chatMessage('user', PROMPT)], params: { maxOutputTokens: MAX_OUTPUT_TOKENS } });
    const hold = explained.estimatedMaxCostNanosUsd;
    expect(hold).toBeGreaterThan(0n);
    const limit = 100n * hold;
    const admin = createBillingClient(stack.billings[0]!.address, { apiKey: stack.keys.admin });
    try {
      await admin.setBudget({ teamId: 'race', period: billing.BudgetPeriod.DAY, limitNanosUsd: limit });
    } finally {
      admin.close();
    }

    const generate = (i: number) =>
      routers[i % 2]!.generate(
        { messages: [chatMessage('user', PROMPT)], params: { maxOutputTokens: MAX_OUTPUT_TOKENS }, context: { requestId: `race-${i}` } },
        { timeoutMs: 170_000 },
      ).then(
        (response) => ({ ok: true as const, response }),
        (error: unknown) => ({ ok: false as const, error: error as SwitchyardError }),
      );
    const release = await holdUpstreams();
    let outcomes: Awaited<ReturnType<typeof generate>>[];
    try {
      // Phase 1: 40 requests through each router, all of which fit: both replicas hold budget, whatever the scheduling.
      const first = Array.from({ length: 80 }, (_, i) => generate(i));
      await until(async () => (await reserved('race')) === 80n * hold, '80 holds');
      // Phase 2: 120 more, 60 per router, race for the last 20 holds across both billing replicas.
      let refusedSoFar = 0;
      const second = Array.from({ length: 120 }, (_, i) =>
        generate(80 + i).then((outcome) => {
          if (!outcome.ok) refusedSoFar++;
          return outcome;
        }),
      );
      // Every hold is decided (100 held, 100 refused) while no request has been answered yet.
      await until(async () => refusedSoFar === 100 && (await reserved('race')) === limit, 'all 200 holds decided');
      release();
      outcomes = await Promise.all([...first, ...second]);
    } finally {
      release();
    }
    const served = outcomes.flatMap((o, i) => (o.ok ? [{ id: `race-${i}`, cost: o.response.cost?.nanosUsd ?? 0n, router: i % 2, phase: i < 80 ? 1 : 2 }] : []));
    const refused = outcomes.flatMap((o, i) => (o.ok ? [] : [{ id: `race-${i}`, error: o.error }]));
    const codes: Record<string, number> = {};
    for (const r of refused) codes[`${r.error.codeName}:${r.error.reason}`] = (codes[`${r.error.codeName}:${r.error.reason}`] ?? 0) + 1;

    expect(codes).toEqual({ 'RESOURCE_EXHAUSTED:BUDGET_EXHAUSTED': 100 });
    expect(served).toHaveLength(100);
    // Both routers (each with its own billing replica) granted holds: 40 each in phase 1, and the race took 20.
    expect(served.filter((s) => s.phase === 1)).toHaveLength(80);
    expect(served.filter((s) => s.router === 0).length).toBeGreaterThanOrEqual(40);
    expect(served.filter((s) => s.router === 1).length).toBeGreaterThanOrEqual(40);
    for (const r of refused) expect(r.error.details.quotaFailure?.violations[0]?.subject).toBe('team:race');

    const rows = await stack.ledger.waitFor('race', (r) => r.length >= 100, 30_000);
    const reconciliation = await stack.ledger.reconcile(
      outcomes.map((_, i) => `race-${i}`),
      'race',
    );
    expect(reconciliation.once.sort()).toEqual(served.map((s) => s.id).sort());
    expect(reconciliation.duplicated).toEqual([]);
    const spent = rows.reduce((sum, r) => sum + r.costNanos, 0n);
    expect(spent).toBe(served.reduce((sum, s) => sum + s.cost, 0n));
    // Every usage row closed its hold: nothing stays reserved, and spend is what the ledger says.
    await until(async () => (await reserved('race')) === 0n, 'every hold settled by its usage row', 30_000);
    expect(await stack.ledger.budget('race')).toEqual({ limitNanos: limit, spentNanos: spent, reservedNanos: 0n });
    const overshoot = spent > limit ? spent - limit : 0n;
    expect(overshoot).toBe(0n);
    reportScenario('replicas/budget-race', {
      routers: 2,
      billingReplicas: 2,
      requests: 200,
      holdNanos: Number(hold),
      limitNanos: Number(limit),
      served: served.length,
      servedByRouter0: served.filter((s) => s.router === 0).length,
      servedByRouter1: served.filter((s) => s.router === 1).length,
      refusedBudgetExhausted: codes['RESOURCE_EXHAUSTED:BUDGET_EXHAUSTED'] ?? 0,
      ledgerRows: reconciliation.once.length,
      spentNanos: Number(spent),
      overshootNanos: Number(overshoot),
    });
  });

  it('a hold covers a prompt that tokenizes worse than 4 characters a token (Chinese): the budget is never overspent', async () => {
    // Team `restricted` may use one model only, so its hold is priced on that model (no dearer fallback to cover).
    const client = createRouterClient(stack.routers[0]!.address, { apiKey: stack.keys.restricted });
    const admin = createBillingClient(stack.billings[0]!.address, { apiKey: stack.keys.admin });
    try {
      const prompt = '请用三句话解释数据库索引的工作原理，以及它们为什么能让查询更快。'.repeat(30);
      const request = { messages: [chatMessage('user', prompt)], params: { maxOutputTokens: 16 } };
      const hold = (await client.explainRoute(request)).estimatedMaxCostNanosUsd;
      const limit = 10n * hold;
      await admin.setBudget({ teamId: 'restricted', period: billing.BudgetPeriod.DAY, limitNanosUsd: limit });
      const release = await holdUpstreams();
      let outcomes: PromiseSettledResult<unknown>[];
      try {
        let settled = 0;
        const calls = Array.from({ length: 20 }, (_, i) =>
          client.generate({ ...request, context: { requestId: `estimate-${i}` } }, { timeoutMs: 170_000 }).finally(() => settled++),
        );
        // 10 holds fill the budget, 10 are refused, before any answer (and usage row) comes back.
        await until(async () => settled === 10 && (await reserved('restricted')) === limit, 'all 20 holds decided');
        release();
        outcomes = await Promise.allSettled(calls);
      } finally {
        release();
      }
      const served = outcomes.filter((o) => o.status === 'fulfilled');
      expect(served).toHaveLength(10);
      const rows = await stack.ledger.waitFor('restricted', (r) => r.length >= 10, 30_000);
      const spent = rows.reduce((sum, r) => sum + r.costNanos, 0n);
      const overshoot = spent > limit ? spent - limit : 0n;
      const perRequest = rows[0]!.costNanos;
      // Each request cost at most its hold (the upstream counts the prompt with cl100k), so the budget holds.
      for (const row of rows) expect(row.costNanos).toBeLessThanOrEqual(hold);
      expect(overshoot).toBe(0n);
      reportScenario('replicas/estimate-vs-cost', { holdNanos: Number(hold), realCostNanos: Number(perRequest), served: served.length, limitNanos: Number(limit), spentNanos: Number(spent), overshootNanos: Number(overshoot) });
    } finally {
      client.close();
      admin.close();
    }
  });
});
