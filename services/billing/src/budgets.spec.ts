import { billing } from '@switchyard/contracts';
import { createTestDatabase, testBackends, type TestDatabase } from '@switchyard/database/testing';
import type { Billing } from './billing-app';
import { BudgetExhaustedError, ConflictingDuplicateError, InvalidFieldError, NotFoundError, RequestAlreadyServedError } from './billing-errors';
import { createBudgets } from './budgets';
import { countingDatabase } from './testing/counting-database';
import { createTestBilling, createTestClock } from './testing/test-databases';
import { usageRecord } from './testing/usage-records';

const DAY = billing.BudgetPeriod.DAY;
const MONTH = billing.BudgetPeriod.MONTH;
const USD = 1_000_000_000n;

describe.each(testBackends())('budgets on %s', (backend) => {
  let test: TestDatabase;
  let app: Billing;
  const clock = createTestClock('2026-03-15T12:00:00Z');
  let teamCounter = 0;

  /** A fresh team (and optionally its budget) per test, so tests do not share counters. */
  const newTeam = async (limitUsd?: bigint, period: billing.BudgetPeriod = MONTH) => {
    const teamId = `team-${++teamCounter}`;
    await app.teams.upsert({ teamId, displayName: teamId, baselineModel: '' });
    if (limitUsd !== undefined) await app.budgets.setBudget({ teamId, project: '', period, limitNanos: limitUsd * USD });
    return teamId;
  };
  const reserve = (teamId: string, requestId: string, amountNanos: bigint, extra: { project?: string; ttlMs?: number } = {}) =>
    app.budgets.reserve({ requestId, teamId, project: extra.project ?? '', amountNanos, ttlMs: extra.ttlMs });

  beforeAll(async () => {
    test = await createTestDatabase(backend, { maxConnections: 12 });
    app = await createTestBilling(test.database, { now: clock.now });
  });
  afterAll(() => test?.close());
  beforeEach(() => clock.set('2026-03-15T12:00:00Z'));

  it('grants holds without a budget and reports -1 remaining', async () => {
    const teamId = await newTeam();
    const hold = await reserve(teamId, 'free-1', 5n * USD);
    expect(hold.reservationId).toMatch(/^rsv_/);
    expect(hold.remainingNanos).toBe(-1n);
    expect(hold.expireTime).toEqual(new Date('2026-03-15T12:10:00Z'));
    expect(await app.budgets.settle({ reservationId: hold.reservationId, actualNanos: 1n })).toEqual({ remainingNanos: -1n, settledNow: true, teamId, project: '' });
    expect(await app.budgets.getBudget({ teamId, project: '' })).toBeUndefined();
  });

  it('holds, then settles with the actual cost', async () => {
    const teamId = await newTeam(10n);
    const hold = await reserve(teamId, 'settle-1', 3n * USD);
    expect(hold.remainingNanos).toBe(7n * USD);
    expect(await app.budgets.getBudget({ teamId, project: '' })).toMatchObject({ spentNanos: 0n, reservedNanos: 3n * USD, remainingNanos: 7n * USD, period: MONTH, periodStart: new Date('2026-03-01T00:00:00Z') });
    expect(await app.budgets.settle({ reservationId: hold.reservationId, actualNanos: USD / 2n })).toMatchObject({ remainingNanos: 9n * USD + USD / 2n, settledNow: true });
    // settling again changes nothing
    expect(await app.budgets.settle({ reservationId: hold.reservationId, actualNanos: 5n * USD })).toMatchObject({ remainingNanos: 9n * USD + USD / 2n, settledNow: false });
    expect(await app.budgets.getBudget({ teamId, project: '' })).toMatchObject({ spentNanos: USD / 2n, reservedNanos: 0n });
  });

  it('refuses a hold that does not fit, naming the budget, and holds nothing', async () => {
    const teamId = await newTeam(10n);
    await reserve(teamId, 'fit-1', 8n * USD);
    const error = await reserve(teamId, 'fit-2', 3n * USD).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BudgetExhaustedError);
    const exhausted = error as BudgetExhaustedError;
    expect(exhausted.violations).toEqual([
      { subject: `team:${teamId}`, description: 'budget of $10.00 per month: spent $0.00, held $8.00, remaining $2.00; requested $3.00' },
    ]);
    expect(exhausted.metadata).toMatchObject({ team_id: teamId, requested_nanos_usd: '3000000000', team_remaining_nanos_usd: '2000000000', period_end: '2026-04-01T00:00:00.000Z' });
    expect(await app.budgets.getBudget({ teamId, project: '' })).toMatchObject({ reservedNanos: 8n * USD });
    // an exact fit is granted
    expect((await reserve(teamId, 'fit-3', 2n * USD)).remainingNanos).toBe(0n);
  });

  it('is idempotent by request id and refuses a conflicting retry', async () => {
    const teamId = await newTeam(10n);
    const first = await reserve(teamId, 'idem-1', 2n * USD);
    const again = await reserve(teamId, 'idem-1', 2n * USD);
    expect(again.reservationId).toBe(first.reservationId);
    expect(await app.budgets.getBudget({ teamId, project: '' })).toMatchObject({ reservedNanos: 2n * USD });
    await expect(reserve(teamId, 'idem-1', 3n * USD)).rejects.toBeInstanceOf(ConflictingDuplicateError);
  });

  it('refuses a hold for a request id the team was already served under (the served-request signal)', async () => {
    const teamId = await newTeam(10n);
    const other = await newTeam(10n);
    const hold = await reserve(teamId, 'served-1', USD);
    await app.ledger.record([usageRecord({ requestId: 'served-1', reservationId: hold.reservationId, time: '2026-03-15T11:59:00Z', teamId })]);
    // A retry of the served request, with the same amount or another one: refused, nothing held.
    for (const amount of [USD, 2n * USD]) {
      const error = await reserve(teamId, 'served-1', amount).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RequestAlreadyServedError);
      expect((error as Error).message).toMatch(/request served-1 of team team-\d+ was already served/);
    }
    expect(await app.budgets.getBudget({ teamId, project: '' })).toMatchObject({ reservedNanos: 0n });
    // Another team's row under the same id is not this team's business: the usual reused-id conflict (the
    // router then holds under a derived id); neither is a row that did not succeed (a broken stream may be retried).
    await expect(reserve(other, 'served-1', USD)).rejects.toBeInstanceOf(ConflictingDuplicateError);
    await app.ledger.record([usageRecord({ requestId: 'broken-1', time: '2026-03-15T11:59:00Z', teamId, outcome: billing.UsageOutcome.PARTIAL })]);
    expect((await reserve(teamId, 'broken-1', USD)).reservationId).toMatch(/^rsv_/);
  });

  it.each([
    ['a missing request id', { requestId: '' }, 'request_id'],
    ['a zero amount', { amountNanos: 0n }, 'amount_nanos_usd'],
    ['a negative amount', { amountNanos: -1n }, 'amount_nanos_usd'],
    ['an unknown team', { teamId: 'ghost' }, 'team_id'],
    ['a too short ttl', { ttlMs: 10 }, 'ttl'],
  ])('rejects %s', async (_name, override, field) => {
    const teamId = await newTeam(10n);
    const error = await app.budgets.reserve({ requestId: `bad-${teamCounter}`, teamId, project: '', amountNanos: USD, ...override }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidFieldError);
    expect((error as InvalidFieldError).field).toBe(field);
  });

  it('rejects settling an unknown hold or a negative cost', async () => {
    await expect(app.budgets.settle({ reservationId: 'rsv_nope', actualNanos: 0n })).rejects.toBeInstanceOf(NotFoundError);
    await expect(app.budgets.settle({ reservationId: 'rsv_nope', actualNanos: -1n })).rejects.toThrow('actual_nanos_usd: must not be negative');
  });

  it('expires unsettled holds lazily, exactly once', async () => {
    const teamId = await newTeam(10n);
    const stale = await reserve(teamId, 'expire-1', 9n * USD, { ttlMs: 1000 });
    await expect(reserve(teamId, 'expire-2', 5n * USD)).rejects.toBeInstanceOf(BudgetExhaustedError);
    clock.advance(1500);
    // the blocked reservation now fits: the stale hold is released on the way
    const fresh = await reserve(teamId, 'expire-3', 5n * USD);
    expect(fresh.remainingNanos).toBe(5n * USD);
    expect(await app.budgets.releaseExpiredHolds({ teamId })).toBe(0);
    expect(await app.budgets.settle({ reservationId: stale.reservationId, actualNanos: USD })).toMatchObject({ remainingNanos: 5n * USD, settledNow: false });
    expect(await app.budgets.getBudget({ teamId, project: '' })).toMatchObject({ spentNanos: 0n, reservedNanos: 5n * USD });
  });

  it('releases an expired hold when settled late', async () => {
    const teamId = await newTeam(10n);
    const hold = await reserve(teamId, 'late-1', 4n * USD, { ttlMs: 1000 });
    clock.advance(5000);
    expect(await app.budgets.settle({ reservationId: hold.reservationId, actualNanos: USD })).toMatchObject({ remainingNanos: 10n * USD, settledNow: false });
    expect(await app.budgets.releaseExpiredHolds()).toBe(0);
  });

  it('holds against the team and the project budget together, or neither', async () => {
    const teamId = await newTeam(10n);
    await app.budgets.setBudget({ teamId, project: 'search', period: DAY, limitNanos: 3n * USD });
    await expect(reserve(teamId, 'proj-1', 4n * USD, { project: 'search' })).rejects.toThrow(`budget exhausted for team:${teamId}/project:search`);
    const hold = await reserve(teamId, 'proj-2', 2n * USD, { project: 'search' });
    expect(hold.remainingNanos).toBe(1n * USD);
    await reserve(teamId, 'proj-3', 7n * USD, { project: 'other' });
    // the team now has 1 left: a project hold of 1 fits both, a second one fits neither
    await reserve(teamId, 'proj-4', USD, { project: 'search' });
    const error = (await reserve(teamId, 'proj-5', 1n, { project: 'search' }).catch((e: unknown) => e)) as BudgetExhaustedError;
    expect(error.violations.map((v) => v.subject)).toEqual([`team:${teamId}`, `team:${teamId}/project:search`]);
    expect(await app.budgets.getBudget({ teamId, project: 'search' })).toMatchObject({ reservedNanos: 3n * USD, period: DAY });
    expect(await app.budgets.getBudget({ teamId, project: '' })).toMatchObject({ reservedNanos: 10n * USD, remainingNanos: 0n });
  });

  it('holds nothing when the project budget fits but the team budget does not', async () => {
    const teamId = await newTeam(10n);
    await app.budgets.setBudget({ teamId, project: 'search', period: DAY, limitNanos: 5n * USD });
    await reserve(teamId, 'team-first-1', 8n * USD, { project: 'other' });
    const error = (await reserve(teamId, 'team-first-2', 3n * USD, { project: 'search' }).catch((e: unknown) => e)) as BudgetExhaustedError;
    expect(error).toBeInstanceOf(BudgetExhaustedError);
    expect(error.violations).toEqual([{ subject: `team:${teamId}`, description: 'budget of $10.00 per month: spent $0.00, held $8.00, remaining $2.00; requested $3.00' }]);
    expect(error.metadata).toMatchObject({ team_remaining_nanos_usd: '2000000000', project: 'search' });
    expect(error.metadata.project_remaining_nanos_usd).toBeUndefined();
    expect(await app.budgets.getBudget({ teamId, project: 'search' })).toMatchObject({ reservedNanos: 0n, remainingNanos: 5n * USD });
    expect(await app.budgets.getBudget({ teamId, project: '' })).toMatchObject({ reservedNanos: 8n * USD });
  });

  it('holds against a project budget set after the team budget was first used this period', async () => {
    const teamId = await newTeam(10n);
    await reserve(teamId, 'late-project-1', USD, { project: 'search' });
    await app.budgets.setBudget({ teamId, project: 'search', period: DAY, limitNanos: 3n * USD });
    expect((await reserve(teamId, 'late-project-2', 2n * USD, { project: 'search' })).remainingNanos).toBe(USD);
    expect(await app.budgets.getBudget({ teamId, project: 'search' })).toMatchObject({ reservedNanos: 2n * USD });
    expect(await app.budgets.getBudget({ teamId, project: '' })).toMatchObject({ reservedNanos: 3n * USD });
  });

  it('gives every concurrent caller with the same request id the same single hold', async () => {
    const teamId = await newTeam(10n);
    const holds = await Promise.all(Array.from({ length: 20 }, () => reserve(teamId, 'same-id', USD)));
    expect(new Set(holds.map((h) => h.reservationId)).size).toBe(1);
    expect(await app.budgets.getBudget({ teamId, project: '' })).toMatchObject({ reservedNanos: USD });
  });

  it('takes and settles a hold in one statement each', async () => {
    const teamId = await newTeam(10n);
    await app.budgets.setBudget({ teamId, project: 'search', period: DAY, limitNanos: 3n * USD });
    const counting = countingDatabase(test.database);
    const budgets = createBudgets({ database: counting.database, teams: app.teams, now: clock.now });
    const hold = await budgets.reserve({ requestId: 'trips-1', teamId, project: 'search', amountNanos: USD });
    expect(await budgets.reserve({ requestId: 'trips-1', teamId, project: 'search', amountNanos: USD })).toEqual(hold);
    expect(await budgets.settle({ reservationId: hold.reservationId, actualNanos: USD / 2n })).toMatchObject({ settledNow: true, remainingNanos: 2n * USD + USD / 2n });
    expect(counting.statements.map((sql) => /billing_\w+/.exec(sql)?.[0])).toEqual(['billing_reserve', 'billing_reserve', 'billing_settle']);
  });

  it('closes every hold a batch of usage rows settles, once, whatever state the hold is in', async () => {
    const teamId = await newTeam(10n);
    const other = await newTeam(10n);
    const byId = await reserve(teamId, 'close-1', USD);
    await reserve(teamId, 'close-2', USD);
    const settled = await reserve(teamId, 'close-3', USD);
    await app.budgets.settle({ reservationId: settled.reservationId, actualNanos: 500_000n });
    await reserve(teamId, 'close-4', USD, { ttlMs: 1000 });
    const othersHold = await reserve(other, 'close-5', USD);
    clock.advance(2000);
    expect(await app.budgets.releaseExpiredHolds({ teamId })).toBe(1);
    const row = (requestId: string, reservationId = '') => usageRecord({ requestId, reservationId, time: '2026-03-15T11:59:00Z', teamId });
    const batch = [
      row('close-1-row', byId.reservationId), // names its hold
      row('close-2'), // the hold reserved under its request id
      row('close-3'), // a hold already settled: the row's cost replaces the actual counted
      row('close-4'), // an expired hold: nothing to release
      row('close-5'), // another team's hold under the same request id: not this row's
      row('close-6', othersHold.reservationId), // another team's hold by id: not this row's either
    ];
    expect((await app.ledger.record(batch)).every((r) => r.status === billing.RecordStatus.RECORDED)).toBe(true);
    const expectBudgets = async () => {
      expect(await app.budgets.getBudget({ teamId, project: '' })).toMatchObject({ spentNanos: 6n * 210_000n, reservedNanos: 0n });
      expect(await app.budgets.getBudget({ teamId: other, project: '' })).toMatchObject({ spentNanos: 0n, reservedNanos: USD });
    };
    await expectBudgets();
    expect((await app.ledger.record(batch)).every((r) => r.status === billing.RecordStatus.DUPLICATE)).toBe(true);
    await expectBudgets();
    const { rows } = await test.database.query<{ request_id: string; status: string }>(
      `SELECT request_id, status FROM reservations WHERE request_id LIKE 'close-%' ORDER BY request_id`,
    );
    expect(rows.map((r) => `${r.request_id}:${r.status}`)).toEqual(['close-1:recorded', 'close-2:recorded', 'close-3:recorded', 'close-4:recorded', 'close-5:held']);
    expect((await app.budgets.settle({ reservationId: othersHold.reservationId, actualNanos: 0n })).settledNow).toBe(true);
  });

  it('settles a hold in the same transaction as its usage row', async () => {
    const teamId = await newTeam(10n);
    const hold = await reserve(teamId, 'usage-1', USD);
    const [result] = await app.ledger.record([usageRecord({ requestId: 'usage-1-row', reservationId: hold.reservationId, time: '2026-03-15T11:59:00Z', teamId })]);
    expect(result.cost?.nanosUsd).toBe(210_000n);
    expect(await app.budgets.getBudget({ teamId, project: '' })).toMatchObject({ spentNanos: 210_000n, reservedNanos: 0n });
    // the hold is closed: a late SettleBudget changes nothing
    expect((await app.budgets.settle({ reservationId: hold.reservationId, actualNanos: USD })).settledNow).toBe(false);
    expect(await app.budgets.getBudget({ teamId, project: '' })).toMatchObject({ spentNanos: 210_000n, reservedNanos: 0n });
  });

  it('counts a cost once when SettleBudget comes before the usage row', async () => {
    const teamId = await newTeam(10n);
    const hold = await reserve(teamId, 'both-1', USD);
    await app.budgets.settle({ reservationId: hold.reservationId, actualNanos: 500_000n });
    expect(await app.budgets.getBudget({ teamId, project: '' })).toMatchObject({ spentNanos: 500_000n });
    // the usage row (same request id, no reservation id) replaces the settled estimate with the ledger cost
    await app.ledger.record([usageRecord({ requestId: 'both-1', time: '2026-03-15T11:59:00Z', teamId })]);
    await app.ledger.record([usageRecord({ requestId: 'both-1', time: '2026-03-15T11:59:00Z', teamId })]);
    expect(await app.budgets.getBudget({ teamId, project: '' })).toMatchObject({ spentNanos: 210_000n, reservedNanos: 0n });
  });

  it('counts spend recorded before the budget was set, and starts each period afresh', async () => {
    const teamId = await newTeam();
    await app.ledger.record([1, 2].map((i) => usageRecord({ requestId: `before-${i}`, time: '2026-03-02T00:00:00Z', teamId })));
    await app.budgets.setBudget({ teamId, project: '', period: MONTH, limitNanos: USD });
    expect(await app.budgets.getBudget({ teamId, project: '' })).toMatchObject({ spentNanos: 420_000n, remainingNanos: USD - 420_000n });
    await reserve(teamId, 'period-1', USD - 420_000n);
    await expect(reserve(teamId, 'period-2', 1n)).rejects.toBeInstanceOf(BudgetExhaustedError);
    clock.set('2026-04-01T00:00:00Z');
    expect((await reserve(teamId, 'period-3', USD)).remainingNanos).toBe(0n);
    expect(await app.budgets.getBudget({ teamId, project: '' })).toMatchObject({ periodStart: new Date('2026-04-01T00:00:00Z'), spentNanos: 0n, reservedNanos: USD });
  });

  it('validates budgets', async () => {
    const teamId = await newTeam();
    await expect(app.budgets.setBudget({ teamId, project: '', period: 0, limitNanos: USD })).rejects.toThrow('period: must be BUDGET_PERIOD_DAY or BUDGET_PERIOD_MONTH');
    await expect(app.budgets.setBudget({ teamId, project: '', period: DAY, limitNanos: 0n })).rejects.toThrow('limit_nanos_usd: must be positive');
    await expect(app.budgets.setBudget({ teamId: 'ghost', project: '', period: DAY, limitNanos: USD })).rejects.toThrow('team_id: unknown team "ghost"');
  });

  it('never overshoots under 200 concurrent holds against a budget that fits 100', async () => {
    const teamId = await newTeam();
    await app.budgets.setBudget({ teamId, project: '', period: DAY, limitNanos: 100n * 7_000n });
    const outcomes = await Promise.allSettled(Array.from({ length: 200 }, (_, i) => reserve(teamId, `race-${i}`, 7_000n)));
    const granted = outcomes.filter((o) => o.status === 'fulfilled');
    const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(granted).toHaveLength(100);
    expect(refused.every((o) => o.reason instanceof BudgetExhaustedError)).toBe(true);
    expect(await app.budgets.getBudget({ teamId, project: '' })).toMatchObject({ reservedNanos: 700_000n, remainingNanos: 0n });
  });

  describe('listing and deleting', () => {
    const list = (input: { teamId?: string; project?: string; pageSize?: number; pageToken?: string }) =>
      app.budgets.listBudgets({ pageSize: 0, pageToken: '', ...input });
    const name = (b: { teamId: string; project: string }) => `${b.teamId}/${b.project}`;
    const ledgerRows = async (teamId: string) =>
      (await test.database.query<{ n: bigint }>('SELECT COUNT(*) AS n FROM usage_ledger WHERE team_id = $1', [teamId])).rows[0].n;

    it('pages through a team\'s budgets by project, each with its current-period use', async () => {
      const teamId = await newTeam(10n);
      for (const project of ['d', 'b', 'a', 'c']) await app.budgets.setBudget({ teamId, project, period: DAY, limitNanos: USD });
      await reserve(teamId, 'list-hold', USD / 4n, { project: 'b' });
      const pages: string[][] = [];
      let pageToken = '';
      for (let i = 0; i < 5 && (i === 0 || pageToken); i++) {
        const page = await list({ teamId, pageSize: 2, pageToken });
        pages.push(page.budgets.map(name));
        pageToken = page.nextPageToken;
      }
      expect(pages).toEqual([[`${teamId}/`, `${teamId}/a`], [`${teamId}/b`, `${teamId}/c`], [`${teamId}/d`]]);
      const [held] = (await list({ teamId, project: 'b' })).budgets;
      expect(held).toEqual(await app.budgets.getBudget({ teamId, project: 'b' }));
      expect(held).toMatchObject({ period: DAY, limitNanos: USD, reservedNanos: USD / 4n, remainingNanos: USD - USD / 4n, periodStart: new Date('2026-03-15T00:00:00Z') });
    });

    it('lists every team\'s budgets in (team, project) byte order when no team is named', async () => {
      const first = await newTeam(1n);
      const second = await newTeam(1n);
      await app.budgets.setBudget({ teamId: first, project: 'x', period: DAY, limitNanos: USD });
      const names: string[] = [];
      let pageToken = '';
      for (let i = 0; i < 100 && (i === 0 || pageToken); i++) {
        const page = await list({ pageSize: 3, pageToken });
        names.push(...page.budgets.map(name));
        pageToken = page.nextPageToken;
      }
      expect(pageToken).toBe('');
      expect(names).toEqual([...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
      expect(names.filter((n) => n.startsWith(`${first}/`) || n.startsWith(`${second}/`))).toEqual([`${first}/`, `${first}/x`, `${second}/`]);
      expect((await list({ project: 'x' })).budgets.map(name)).toContain(`${first}/x`);
    });

    it.each([
      ['a negative page size', { pageSize: -1 }, 'page_size'],
      ['a page size over 1000', { pageSize: 1001 }, 'page_size'],
      ['a token it did not issue', { pageToken: 'not-a-token' }, 'page_token'],
      ['an unknown team', { teamId: 'ghost' }, 'team_id'],
    ])('refuses %s', async (_name, input, field) => {
      const error = await list(input).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidFieldError);
      expect((error as InvalidFieldError).field).toBe(field);
    });

    it('refuses a page token from a list with another filter', async () => {
      const teamId = await newTeam(1n);
      await app.budgets.setBudget({ teamId, project: 'p', period: DAY, limitNanos: USD });
      const { nextPageToken } = await list({ teamId, pageSize: 1 });
      expect(nextPageToken).not.toBe('');
      await expect(list({ pageSize: 1, pageToken: nextPageToken })).rejects.toThrow('page_token: belongs to a query with a different filter');
    });

    it('deletes a team budget: the limit stops applying, open holds still settle, the ledger stays', async () => {
      const teamId = await newTeam(10n);
      const open = await reserve(teamId, 'del-open', 8n * USD);
      const settled = await reserve(teamId, 'del-settled', USD);
      await app.budgets.settle({ reservationId: settled.reservationId, actualNanos: USD / 2n });
      await app.ledger.record([usageRecord({ requestId: 'del-row', time: '2026-03-15T11:59:00Z', teamId })]);
      await expect(reserve(teamId, 'del-refused', 2n * USD)).rejects.toBeInstanceOf(BudgetExhaustedError);

      const deleted = await app.budgets.deleteBudget({ teamId, project: '' });
      expect(deleted).toMatchObject({ limitNanos: 10n * USD, spentNanos: USD / 2n + 210_000n, reservedNanos: 8n * USD });
      expect(await app.budgets.getBudget({ teamId, project: '' })).toBeUndefined();
      expect((await list({ teamId })).budgets).toEqual([]);
      expect((await reserve(teamId, 'del-after', 20n * USD)).remainingNanos).toBe(-1n);
      expect(await ledgerRows(teamId)).toBe(1n);

      const again = await app.budgets.deleteBudget({ teamId, project: '' }).catch((e: unknown) => e);
      expect(again).toBeInstanceOf(NotFoundError);
      expect(again).toMatchObject({ reason: 'BUDGET_NOT_FOUND', message: `budget of team:${teamId} does not exist` });

      // Set again: it starts from the ledger, and holds granted before (or without) it never touch it.
      await app.budgets.setBudget({ teamId, project: '', period: MONTH, limitNanos: 10n * USD });
      expect(await app.budgets.settle({ reservationId: open.reservationId, actualNanos: 2n * USD })).toEqual({ remainingNanos: -1n, settledNow: true, teamId, project: '' });
      expect(await app.budgets.getBudget({ teamId, project: '' })).toMatchObject({ spentNanos: 210_000n, reservedNanos: 0n });
      await app.ledger.record([usageRecord({ requestId: 'del-settled', time: '2026-03-15T12:00:00Z', teamId })]);
      expect(await app.budgets.getBudget({ teamId, project: '' })).toMatchObject({ spentNanos: 2n * 210_000n, reservedNanos: 0n });
    });

    it('deletes a project budget and leaves the team budget counting the same holds', async () => {
      const teamId = await newTeam(10n);
      await app.budgets.setBudget({ teamId, project: 'search', period: DAY, limitNanos: 3n * USD });
      const before = await reserve(teamId, 'del-project-1', 2n * USD, { project: 'search' });
      await expect(reserve(teamId, 'del-project-2', 2n * USD, { project: 'search' })).rejects.toBeInstanceOf(BudgetExhaustedError);
      await app.budgets.deleteBudget({ teamId, project: 'search' });
      expect((await reserve(teamId, 'del-project-3', 2n * USD, { project: 'search' })).remainingNanos).toBe(6n * USD);
      await app.budgets.settle({ reservationId: before.reservationId, actualNanos: USD });
      expect(await app.budgets.getBudget({ teamId, project: '' })).toMatchObject({ spentNanos: USD, reservedNanos: 2n * USD });
      expect((await list({ teamId })).budgets.map(name)).toEqual([`${teamId}/`]);
    });

    it('refuses to delete for an unknown team', async () => {
      await expect(app.budgets.deleteBudget({ teamId: 'ghost', project: '' })).rejects.toThrow('team_id: unknown team "ghost"');
      await expect(app.budgets.deleteBudget({ teamId: '', project: '' })).rejects.toThrow('team_id: must be set');
    });

    it('leaves no hold charged to a budget set again after a delete that raced holds', async () => {
      const teamId = await newTeam(1000n);
      const holds = Array.from({ length: 40 }, (_, i) => reserve(teamId, `del-race-${i}`, USD));
      const deleted = app.budgets.deleteBudget({ teamId, project: '' });
      const granted = await Promise.all(holds);
      await deleted;
      await app.budgets.setBudget({ teamId, project: '', period: MONTH, limitNanos: 1000n * USD });
      await reserve(teamId, 'del-race-new', 1n);
      // A hold still counted against the deleted budget would now take its amount from the new one's held 1n.
      for (const hold of granted) expect((await app.budgets.settle({ reservationId: hold.reservationId, actualNanos: 0n })).settledNow).toBe(true);
      expect(await app.budgets.getBudget({ teamId, project: '' })).toMatchObject({ spentNanos: 0n, reservedNanos: 1n });
    });
  });
});
