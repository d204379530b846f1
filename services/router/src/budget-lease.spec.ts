import { chatMessage, createBillingClient, type BillingServiceClient } from '@switchyard/sdk';
import { ServiceFailure } from '@switchyard/grpc-kit';
import { createBudgetGate, type BudgetFailureMode, type BudgetHold } from './budget';
import type { BudgetLeaseSettings, UsageDelivery } from './budget-lease';
import { startFakeBilling, type FakeBilling } from './testing/fake-billing-service';
import { startRouterFixture, type RouterFixture } from './testing/router-fixture';
import { freePort } from './testing/service-process';

const ESTIMATE = 1000n;
const SETTINGS: BudgetLeaseSettings = { requests: 100, minNanosUsd: 0n, headroom: 4, minRequests: 2, termMs: 30_000, ttlMs: 300_000 };

/** Waits (bounded) until `condition` holds. */
async function until(condition: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  for (let waited = 0; !condition(); waited += 10) {
    if (waited >= timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A usage delivery the test drives: rows are written by finishing requests, acknowledged on command. */
function testDelivery() {
  let written = 0;
  let acknowledged = 0;
  const delivery: UsageDelivery = { mark: () => written, delivered: (mark) => acknowledged >= mark };
  return { delivery, writeRow: () => void written++, acknowledgeAll: () => void (acknowledged = written) };
}

describe('budget leases (gate over a fake billing on gRPC)', () => {
  let billing: FakeBilling;
  let client: BillingServiceClient;
  let clock = 1_000_000;
  beforeAll(async () => {
    billing = await startFakeBilling();
    client = createBillingClient(billing.address);
  });
  afterAll(async () => {
    client.close();
    await billing.stop();
  });

  const leasingGate = (options: { settings?: Partial<BudgetLeaseSettings>; delivery?: UsageDelivery; failureMode?: BudgetFailureMode; billing?: BillingServiceClient } = {}) =>
    createBudgetGate({
      billing: options.billing ?? client,
      failureMode: options.failureMode ?? 'failClosed',
      // Unreachable billing fails fast (connection refused); a busy machine must not turn a slow answer into one.
      timeoutMs: 10_000,
      lease: { settings: { ...SETTINGS, ...options.settings }, delivery: options.delivery ?? testDelivery().delivery, sweepMs: 5, now: () => clock },
    });
  const ask = (teamId: string, i: number, leasable = true) => ({ requestId: `${teamId}-${i}`, teamId, project: '', amountNanos: ESTIMATE, ttlMs: 60_000, leasable });
  const reserveCalls = () => billing.state.calls.reserveBudget;
  const leaseHolds = (teamId: string) => [...billing.state.holds.entries()].filter(([, h]) => h.teamId === teamId && h.requestId.startsWith('lease:'));
  const failureOf = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error);

  it("admits many requests under one ReserveBudget after the key's first request took its own hold", async () => {
    const gate = leasingGate();
    const before = reserveCalls();
    const first = await gate.reserve(ask('many', 0));
    expect(first).toMatchObject({ reservationId: expect.stringMatching(/^rsv_/), checked: true, heldNanos: ESTIMATE });
    expect(first.lease).toBeUndefined();
    const leased: BudgetHold[] = [];
    for (let i = 1; i <= 40; i++) leased.push(await gate.reserve(ask('many', i)));
    expect(reserveCalls()).toBe(before + 2);
    const [lease] = leaseHolds('many');
    expect(lease?.[1]).toMatchObject({ amount: 100n * ESTIMATE, state: 'held', requestId: expect.stringMatching(/^lease:[0-9a-f]{16}:\d+$/) });
    for (const hold of leased) {
      // No reservation id: the usage row must not settle the whole lease with one request's cost.
      expect(hold).toMatchObject({ reservationId: '', checked: true, heldNanos: ESTIMATE, lease: { leaseId: lease?.[1].requestId } });
    }
    await gate.close(100);
  });

  it('asks for one lease, not one per request, when a burst arrives together (single flight)', async () => {
    const gate = leasingGate();
    await gate.reserve(ask('burst', 0));
    const before = reserveCalls();
    const holds = await Promise.all(Array.from({ length: 30 }, (_, i) => gate.reserve(ask('burst', i + 1))));
    expect(reserveCalls()).toBe(before + 1);
    expect(new Set(holds.map((h) => h.lease?.leaseId)).size).toBe(1);
    expect(holds.every((h) => h.lease !== undefined)).toBe(true);
    await gate.close(100);
  });

  it('renews in the background at half the lease: every request is admitted without its own hold', async () => {
    const { delivery, writeRow, acknowledgeAll } = testDelivery();
    const gate = leasingGate({ settings: { requests: 10 }, delivery });
    await gate.reserve(ask('renew', 0));
    const holds: BudgetHold[] = [];
    for (let i = 1; i <= 6; i++) holds.push(await gate.reserve(ask('renew', i)));
    // The sixth request used half of the first lease (10 estimates): the next one is asked for now.
    await until(() => leaseHolds('renew').length === 2, 'the renewed lease');
    for (let i = 7; i <= 16; i++) holds.push(await gate.reserve(ask('renew', i)));
    expect(holds.every((h) => h.lease !== undefined)).toBe(true);
    const [first, second] = leaseHolds('renew').map(([, h]) => h.requestId);
    // The older lease is used up first, then the newer one takes over.
    expect(holds.slice(0, 10).every((h) => h.lease?.leaseId === first)).toBe(true);
    expect(holds.slice(10).every((h) => h.lease?.leaseId === second)).toBe(true);
    // The used-up lease goes back once its requests ended and billing has their usage.
    for (const hold of holds.slice(0, 10)) {
      writeRow();
      gate.finish(hold);
    }
    expect(leaseHolds('renew')[0]?.[1].state).toBe('held');
    acknowledgeAll();
    await until(() => leaseHolds('renew')[0]?.[1].state === 'settled', 'the used-up lease returned');
    expect(billing.state.spent.get('renew') ?? 0n).toBe(0n); // returned with actual 0: the rows carry the cost
    await gate.close(100);
  });

  it('returns a lease only after its term, its requests ended, and billing acknowledged their rows', async () => {
    const { delivery, writeRow, acknowledgeAll } = testDelivery();
    const gate = leasingGate({ delivery });
    await gate.reserve(ask('return', 0));
    const served = await gate.reserve(ask('return', 1));
    const failed = await gate.reserve(ask('return', 2));
    const [[reservationId]] = leaseHolds('return');
    clock += SETTINGS.termMs; // the lease admits no more
    const next = await gate.reserve(ask('return', 3));
    expect(next.lease?.leaseId).not.toBe(served.lease?.leaseId);
    const settles = billing.state.calls.settleBudget;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(billing.state.holds.get(reservationId)?.state).toBe('held'); // two requests in flight
    writeRow();
    gate.finish(served);
    void gate.release(failed);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(billing.state.holds.get(reservationId)?.state).toBe('held'); // the served request's row is not in billing yet
    expect(billing.state.calls.settleBudget).toBe(settles);
    acknowledgeAll();
    await until(() => billing.state.holds.get(reservationId)?.state === 'settled', 'the lease returned');
    expect(billing.state.calls.settleBudget).toBe(settles + 1);
    gate.finish(next);
    await gate.close(500);
  });

  it('near the edge of a budget every request takes its own hold: exactly what fits is served, then BUDGET_EXHAUSTED', async () => {
    // remaining / headroom is below minRequests estimates from the start: no lease is worth it.
    billing.state.budgets.set('edge', 8n * ESTIMATE);
    const gate = leasingGate();
    const before = reserveCalls();
    const holds = [];
    for (let i = 0; i < 8; i++) holds.push(await gate.reserve(ask('edge', i)));
    expect(holds.every((h) => h.reservationId.startsWith('rsv_') && h.lease === undefined)).toBe(true);
    const error = await failureOf(gate.reserve(ask('edge', 8)));
    expect(error).toBeInstanceOf(ServiceFailure);
    expect(error).toMatchObject({ code: 8, details: { reason: 'BUDGET_EXHAUSTED' } });
    expect((error as ServiceFailure).details.quotaViolations?.[0]?.subject).toBe('team:edge');
    expect(reserveCalls()).toBe(before + 9);
    expect(leaseHolds('edge')).toHaveLength(0);
    await gate.close(100);
  });

  it('gives a lease back at once when billing says the budget shrank: a smaller lease, or per-request holds at the edge', async () => {
    const gate = leasingGate();
    // No budget when the first hold answers (remaining -1); then one appears that a 100-estimate lease fits
    // but leaves less than 3 more leases of room: that lease goes back, and one of remaining / 4 is taken.
    await gate.reserve(ask('shrunk', 0));
    billing.state.budgets.set('shrunk', 150n * ESTIMATE);
    const smaller = await gate.reserve(ask('shrunk', 1));
    const [first, second] = leaseHolds('shrunk').map(([, h]) => h);
    expect(first).toMatchObject({ amount: 100n * ESTIMATE });
    await until(() => first?.state === 'settled', 'the first lease given back');
    expect(second).toMatchObject({ amount: 49n * ESTIMATE / 4n, state: 'held', requestId: smaller.lease?.leaseId });
    // Here the smaller lease would hold less than minRequests (2) estimates: the request takes its own hold.
    await gate.reserve(ask('edgy', 0));
    billing.state.budgets.set('edgy', 108n * ESTIMATE);
    const own = await gate.reserve(ask('edgy', 1));
    expect(own.lease).toBeUndefined();
    expect(own.reservationId).toMatch(/^rsv_/);
    await until(() => leaseHolds('edgy')[0]?.[1].state === 'settled', 'the lease given back');
    expect(leaseHolds('edgy')).toHaveLength(1);
    await gate.close(100);
  });

  it('keeps a lease capped at remaining / headroom when the budget moved a little since the router last heard', async () => {
    const gate = leasingGate();
    billing.state.budgets.set('moved', 200n * ESTIMATE);
    await gate.reserve(ask('moved', 0));
    // The router last heard 199 estimates remain; the limit drops by one estimate before its lease is granted.
    billing.state.budgets.set('moved', 199n * ESTIMATE);
    const admitted = await gate.reserve(ask('moved', 1));
    const leases = leaseHolds('moved').map(([, h]) => h);
    expect(leases).toHaveLength(1);
    expect(leases[0]).toMatchObject({ amount: (199n * ESTIMATE) / 4n, state: 'held', requestId: admitted.lease?.leaseId });
    await gate.close(100);
  });

  it('never admits more than the budget: 150 concurrent requests against a budget for 100', async () => {
    const { delivery, writeRow, acknowledgeAll } = testDelivery();
    const limit = 100n * ESTIMATE;
    billing.state.budgets.set('race', limit);
    const gate = leasingGate({ settings: { requests: 10 }, delivery });
    const first = await gate.reserve(ask('race', 0));
    const outcomes = await Promise.all(Array.from({ length: 150 }, (_, i) => gate.reserve(ask('race', i + 1)).then((hold) => hold, (error: unknown) => error as ServiceFailure)));
    const admitted = [first, ...outcomes.filter((o): o is BudgetHold => !(o instanceof ServiceFailure))];
    const refused = outcomes.filter((o): o is ServiceFailure => o instanceof ServiceFailure);
    const leases = leaseHolds('race').filter(([, h]) => h.state === 'held');
    // Nothing has finished: every admitted request is covered by a hold or a lease billing granted.
    expect(BigInt(admitted.length) * ESTIMATE).toBeLessThanOrEqual(limit);
    // Each lease leaves less than one estimate unused; the rest is served.
    expect(admitted.length).toBeGreaterThanOrEqual(100 - leases.length);
    expect(admitted.filter((h) => h.lease).length).toBeGreaterThan(0);
    expect(admitted.filter((h) => !h.lease).length).toBeGreaterThan(1); // the edge was reached with per-request holds
    expect(refused.map((e) => e.details.reason)).toEqual(refused.map(() => 'BUDGET_EXHAUSTED'));
    expect(admitted.length + refused.length).toBe(151);
    for (const hold of admitted) {
      writeRow();
      gate.finish(hold);
    }
    acknowledgeAll();
    await gate.close(1000);
    expect(leaseHolds('race').filter(([, h]) => h.state === 'held')).toEqual([]);
  });

  it('keeps the per-request hold for requests with a caller-chosen id, even while a lease is active', async () => {
    const gate = leasingGate();
    await gate.reserve(ask('ids', 0));
    expect((await gate.reserve(ask('ids', 1))).lease).toBeDefined();
    const before = reserveCalls();
    const own = await gate.reserve(ask('ids', 2, false));
    expect(own.reservationId).toMatch(/^rsv_/);
    expect(own.lease).toBeUndefined();
    expect(reserveCalls()).toBe(before + 1);
    expect([...billing.state.holds.values()].some((h) => h.requestId === 'ids-2')).toBe(true);
    await gate.close(100);
  });

  it('on close returns every lease whose usage billing has; one whose rows it lacks is left to its TTL', async () => {
    const { delivery, writeRow, acknowledgeAll } = testDelivery();
    const gate = leasingGate({ delivery });
    const leased = async (team: string) => {
      await gate.reserve(ask(team, 0));
      return gate.reserve(ask(team, 1));
    };
    const [a, b] = [await leased('closing-a'), await leased('closing-b')];
    writeRow();
    gate.finish(a);
    acknowledgeAll();
    writeRow(); // closing-b's row: billing has not acknowledged it
    gate.finish(b);
    await gate.close(200);
    expect(leaseHolds('closing-a').map(([, h]) => h.state)).toEqual(['settled']);
    expect(leaseHolds('closing-b').map(([, h]) => h.state)).toEqual(['held']);
    const after = await gate.reserve(ask('closing-a', 2));
    expect(after.lease).toBeUndefined(); // a closed gate takes per-request holds
  });

  it('applies the failure mode as before while billing is unreachable', async () => {
    const down = createBillingClient(`127.0.0.1:${await freePort()}`);
    try {
      const open = leasingGate({ billing: down, failureMode: 'failOpen' });
      for (let i = 0; i < 3; i++) expect(await open.reserve(ask('down', i))).toEqual({ reservationId: '', checked: false, heldNanos: 0n });
      const closed = leasingGate({ billing: down, failureMode: 'failClosed' });
      for (let i = 0; i < 3; i++) expect(await failureOf(closed.reserve(ask('down', i)))).toMatchObject({ code: 14, details: { reason: 'BUDGET_UNCHECKABLE' } });
      await Promise.all([open.close(100), closed.close(100)]);
    } finally {
      down.close();
    }
  });

  it.each(['failOpen', 'failClosed'] as const)('%s: a lease granted before billing went down admits until its term ends; then the failure mode applies', async (failureMode) => {
    const flaky = await startFakeBilling();
    const flakyClient = createBillingClient(flaky.address);
    try {
      const gate = leasingGate({ billing: flakyClient, failureMode });
      await gate.reserve(ask('flaky', 0));
      expect((await gate.reserve(ask('flaky', 1))).lease).toBeDefined();
      await flaky.stop();
      for (let i = 2; i < 6; i++) expect((await gate.reserve(ask('flaky', i))).lease).toBeDefined();
      clock += SETTINGS.termMs;
      const after = gate.reserve(ask('flaky', 6));
      if (failureMode === 'failOpen') expect(await after).toEqual({ reservationId: '', checked: false, heldNanos: 0n });
      else expect(await failureOf(after)).toMatchObject({ code: 14, details: { reason: 'BUDGET_UNCHECKABLE' } });
      await gate.close(100);
    } finally {
      flakyClient.close();
    }
  });
});

describe('budget leases in the router (real gRPC, outbox and shipper)', () => {
  let f: RouterFixture;
  beforeAll(async () => {
    f = await startRouterFixture({
      configure: (config) => {
        (config.budget as Record<string, unknown>).lease = { requests: 100, minNanosUsd: 0, termMs: 1000, ttlMs: 300_000 };
      },
    });
  });
  afterAll(async () => {
    await f.close();
  });

  const ask = (project: string, requestId?: string) => ({ messages: [chatMessage('user', 'hi, how are you?')], context: { project, ...(requestId ? { requestId } : {}) } });
  const leases = () => [...f.billing.state.holds.values()].filter((h) => h.teamId === 'acme' && h.requestId.startsWith('lease:'));
  const ownHoldsSettled = () => [...f.billing.state.holds.values()].filter((h) => !h.requestId.startsWith('lease:') && h.state === 'settled').length;

  it('serves requests without a request id under a lease: rows without a reservation id, the lease returned once billing has them', async () => {
    const reserves = f.billing.state.calls.reserveBudget;
    const leasesBefore = leases().length;
    const responses = [];
    for (let i = 0; i < 12; i++) responses.push(await f.client.generate(ask('leased')));
    const granted = leases().length - leasesBefore;
    // The first request's own hold, then leases only (a new one per 1 s term, so one unless this machine is very slow).
    expect(f.billing.state.calls.reserveBudget - reserves).toBe(1 + granted);
    expect(granted).toBeGreaterThan(0);
    expect(granted).toBeLessThan(11);
    expect(await f.router.shipper.drain(5000)).toBe(true);
    const rows = responses.map((r) => f.billing.state.ledger.get(r.requestId)?.record);
    expect(rows[0]?.reservationId).toMatch(/^rsv_/);
    expect(rows.slice(1).map((r) => r?.reservationId)).toEqual(rows.slice(1).map(() => ''));
    // The term ends after 1 s; each lease goes back once its rows are acknowledged.
    await until(() => leases().every((h) => h.state === 'settled'), 'every lease returned', 10_000);
  });

  it('a request with a caller-chosen id takes its own hold', async () => {
    await f.client.generate(ask('leased'));
    const response = await f.client.generate(ask('leased', 'own-hold-1'));
    expect(await f.router.shipper.drain(5000)).toBe(true);
    const [hold] = [...f.billing.state.holds.entries()].filter(([, h]) => h.requestId === 'own-hold-1');
    expect(f.billing.state.ledger.get(response.requestId)?.record.reservationId).toBe(hold?.[0]);
    expect(hold?.[1].state).toBe('recorded');
  });

  it('releases a lease-admitted request that consumed nothing back to its lease, without a hold of its own', async () => {
    await f.client.generate(ask('released'));
    await f.client.generate(ask('released'));
    for (const p of [f.cheapA, f.cheapB, f.strong]) p.script.failures = [{ code: 14, times: 1 }];
    const settled = ownHoldsSettled();
    const attempts = f.cheapA.calls.length;
    await expect(f.client.generate(ask('released'))).rejects.toMatchObject({ codeName: 'UNAVAILABLE', reason: 'ALL_CANDIDATES_FAILED' });
    const requestId = f.cheapA.calls[attempts]?.requestId;
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect([...f.billing.state.holds.values()].some((h) => h.requestId === requestId)).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(ownHoldsSettled()).toBe(settled);
  });

  it('returns its leases on shutdown, once the outbox is drained', async () => {
    const before = leases().length;
    for (let i = 0; i < 3; i++) await f.client.generate(ask('shutdown'));
    expect(leases().slice(before).some((h) => h.state === 'held')).toBe(true);
    await f.router.shutdown({ graceMs: 200, flushMs: 2000 });
    expect(leases().filter((h) => h.state === 'held')).toEqual([]);
  });
});
