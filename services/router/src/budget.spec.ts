import { create } from '@bufbuild/protobuf';
import { billing as contracts, common } from '@switchyard/contracts';
import { createBillingClient, type BillingServiceClient } from '@switchyard/sdk';
import { ServiceFailure } from '@switchyard/grpc-kit';
import { createBudgetGate } from './budget';
import { startFakeBilling, type FakeBilling } from './testing/fake-billing-service';
import { freePort } from './testing/service-process';

describe('budget gate', () => {
  let billing: FakeBilling;
  let client: BillingServiceClient;
  let downClient: BillingServiceClient;
  beforeAll(async () => {
    billing = await startFakeBilling();
    billing.state.budgets.set('poor', 100n);
    client = createBillingClient(billing.address);
    downClient = createBillingClient(`127.0.0.1:${await freePort()}`);
  });
  afterAll(async () => {
    client.close();
    downClient.close();
    await billing.stop();
  });

  const hold = (teamId: string, requestId: string, amountNanos = 10n) => ({ requestId, teamId, project: '', amountNanos, ttlMs: 60_000 });

  it('holds budget and releases a hold with SettleBudget(0)', async () => {
    const gate = createBudgetGate({ billing: client, failureMode: 'failClosed' });
    const granted = await gate.reserve(hold('acme', 'b-1', 0n));
    expect(granted).toMatchObject({ checked: true });
    expect(billing.state.holds.get(granted.reservationId)?.amount).toBe(1n); // a zero estimate still checks the budget
    void gate.release(granted);
    for (let i = 0; i < 50 && billing.state.holds.get(granted.reservationId)?.state === 'held'; i++) await new Promise((r) => setTimeout(r, 10));
    expect(billing.state.holds.get(granted.reservationId)?.state).toBe('settled');
  });

  it('refuses a spent budget with RESOURCE_EXHAUSTED and QuotaFailure, in either mode', async () => {
    for (const failureMode of ['failOpen', 'failClosed'] as const) {
      const gate = createBudgetGate({ billing: client, failureMode });
      const error = await gate.reserve(hold('poor', `poor-${failureMode}`, 1000n)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ServiceFailure);
      expect(error).toMatchObject({ code: 8, details: { reason: 'BUDGET_EXHAUSTED' } });
      expect((error as ServiceFailure).details.quotaViolations?.[0]?.subject).toBe('team:poor');
    }
  });

  it('holds under a fresh id when a request id is reused for a different estimate', async () => {
    const gate = createBudgetGate({ billing: client, failureMode: 'failClosed' });
    const first = await gate.reserve(hold('acme', 'reused', 10n));
    const retry = await gate.reserve(hold('acme', 'reused', 10n));
    expect(retry.reservationId).toBe(first.reservationId); // the same hold for a true retry
    const different = await gate.reserve(hold('acme', 'reused', 20n));
    expect(different.checked).toBe(true);
    expect(different.reservationId).not.toBe(first.reservationId);
    expect(billing.state.holds.get(different.reservationId)?.requestId).toMatch(/^reused~[0-9a-f]{16}$/);
  });

  it('refuses a request id billing already recorded as served: ALREADY_EXISTS REQUEST_ALREADY_SERVED, in either mode', async () => {
    const record = create(contracts.UsageRecordSchema, { requestId: 'served-1', teamId: 'acme', outcome: contracts.UsageOutcome.SUCCESS });
    billing.state.ledger.set('served-1', { record, cost: create(common.CostSchema, {}), content: '' });
    for (const failureMode of ['failOpen', 'failClosed'] as const) {
      const gate = createBudgetGate({ billing: client, failureMode });
      const error = await gate.reserve(hold('acme', 'served-1')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ServiceFailure);
      expect(error).toMatchObject({ code: 6, details: { reason: 'REQUEST_ALREADY_SERVED', metadata: { request_id: 'served-1' } } });
      expect(gate.billingDown()).toBe(false);
    }
  });

  it('fails open while billing is unreachable, then stops waiting for it (breaker)', async () => {
    const unchecked: string[] = [];
    const gate = createBudgetGate({ billing: downClient, failureMode: 'failOpen', breakerThreshold: 2, breakerHalfOpenMs: 60_000, timeoutMs: 300, onUnchecked: (t) => unchecked.push(t) });
    for (let i = 0; i < 2; i++) expect(await gate.reserve(hold('acme', `down-${i}`))).toEqual({ reservationId: '', checked: false, heldNanos: 0n });
    expect(gate.billingDown()).toBe(true);
    const started = Date.now();
    expect(await gate.reserve(hold('acme', 'down-fast'))).toEqual({ reservationId: '', checked: false, heldNanos: 0n });
    expect(Date.now() - started).toBeLessThan(250); // no 300 ms timeout: the breaker answers at once
    expect(unchecked).toHaveLength(3);
  });

  it('fails closed with UNAVAILABLE when configured so', async () => {
    const gate = createBudgetGate({ billing: downClient, failureMode: 'failClosed', timeoutMs: 300 });
    const error = await gate.reserve(hold('acme', 'closed-1')).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 14, details: { reason: 'BUDGET_UNCHECKABLE' } });
  });
});
