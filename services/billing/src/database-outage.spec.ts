import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import pg from 'pg';
import { createScratchPostgres, testBackends, waitForLockWaiter, type ScratchPostgres } from '@switchyard/database/testing';
import { createBillingClient, SwitchyardError, type BillingServiceClient } from '@switchyard/sdk';
import { startFaultProxy, type FaultProxy } from '@switchyard/testing';
import { startBillingProcess, type BillingProcess } from './testing/billing-process';
import { createTestKeys } from './testing/test-keys';

// The billing process, not just its database layer: a PostgreSQL connection reset while a call's
// transaction holds a pooled client must answer that call UNAVAILABLE (retryable) and leave the
// process serving. (It used to exit with an unhandled 'error' event: `read ECONNRESET`.)
(testBackends().includes('postgres') ? describe : describe.skip)('billing process when its database connection is reset', () => {
  const keys = createTestKeys({ router: ['ops', 'service'] });
  let folder: string;
  let scratch: ScratchPostgres;
  let proxy: FaultProxy;
  let billingProcess: BillingProcess;
  let client: BillingServiceClient;
  let observer: pg.Client;
  let locker: pg.Client;

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'billing-outage-'));
    writeFileSync(join(folder, 'api-keys.json'), keys.fileContent);
    scratch = await createScratchPostgres();
    const url = new URL(scratch.url);
    proxy = await startFaultProxy({ target: `${url.hostname}:${url.port || 5432}` });
    url.host = proxy.address;
    billingProcess = await startBillingProcess({
      DATABASE_URL: url.toString(),
      SWITCHYARD_AUTH__API_KEYS_FILE: join(folder, 'api-keys.json'),
      SWITCHYARD_BOOTSTRAP_TEAMS: '[{teamId: alpha}]',
    });
    // The SDK's service config retries UNAVAILABLE billing calls; off here, to see the first answer.
    client = createBillingClient(billingProcess.address, { apiKey: keys.secrets.router, timeoutMs: 30_000, channelOptions: { 'grpc.enable_retries': 0 } });
    // Two direct connections: one holds a lock, the other watches (pg_stat_activity is a snapshot inside a transaction).
    observer = new pg.Client({ connectionString: scratch.url });
    locker = new pg.Client({ connectionString: scratch.url });
    await Promise.all([observer.connect(), locker.connect()]);
  });
  afterAll(async () => {
    client?.close();
    await observer?.end();
    await locker?.end();
    await billingProcess?.stop();
    await proxy?.close();
    await scratch?.drop();
    rmSync(folder, { recursive: true, force: true });
  });

  it('answers the call in flight UNAVAILABLE DATABASE_UNAVAILABLE, keeps running, and serves again', async () => {
    // Warm up: the team is cached and the pool has connections.
    await client.reserveBudget({ requestId: 'warm-up', teamId: 'alpha', amountNanosUsd: 1n });
    // Hold the budgets table so the next ReserveBudget waits inside its transaction, on a checked-out client.
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE budgets IN ACCESS EXCLUSIVE MODE');
    const call = client.reserveBudget({ requestId: 'during-reset', teamId: 'alpha', amountNanosUsd: 1n }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(await waitForLockWaiter(observer, 'switchyard-billing')).toBe(true);

    proxy.setToxics([{ kind: 'reset_peer', scope: 'existing' }]);
    const error = await call;
    await locker.query('ROLLBACK');
    proxy.clearToxics();

    expect(error).toBeInstanceOf(SwitchyardError);
    expect((error as SwitchyardError).code).toBe(status.UNAVAILABLE);
    expect((error as SwitchyardError).reason).toBe('DATABASE_UNAVAILABLE');
    expect(billingProcess.child.exitCode).toBeNull();
    // The retry is served (the hold is idempotent by request id), by the same process.
    const retried = await client.reserveBudget({ requestId: 'during-reset', teamId: 'alpha', amountNanosUsd: 1n });
    expect(retried.reservationId).toMatch(/^rsv_/);
    expect(billingProcess.child.exitCode).toBeNull();
    expect(billingProcess.output.join('\n')).toMatch(/database connection failed/);
  });
});
