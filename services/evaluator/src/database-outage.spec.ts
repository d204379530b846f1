import { status } from '@grpc/grpc-js';
import pg from 'pg';
import { createPostgresDatabase, type Database } from '@switchyard/database';
import { createScratchPostgres, testBackends, waitForLockWaiter, type ScratchPostgres } from '@switchyard/database/testing';
import { createEvaluatorClient, SwitchyardError, type EvaluatorServiceClient } from '@switchyard/sdk';
import { startFaultProxy, type FaultProxy } from '@switchyard/testing';
import type { ModelCaller } from './model-caller';
import { startTestEvaluator, type TestEvaluator } from './testing/test-evaluator';

/** The error a call settled with, or undefined when it succeeded. */
const failureOf = (call: Promise<unknown>) =>
  call.then(
    () => undefined,
    (error: unknown) => error,
  );

function expectDatabaseUnavailable(error: unknown): void {
  expect(error).toBeInstanceOf(SwitchyardError);
  expect((error as SwitchyardError).code).toBe(status.UNAVAILABLE);
  expect((error as SwitchyardError).reason).toBe('DATABASE_UNAVAILABLE');
}

// A PostgreSQL connection reset or a server out of reach answers the call UNAVAILABLE (retryable), not
// INTERNAL, and the evaluator keeps serving. (Its old pool adapter let a reset under a checked-out
// client become an unhandled 'error' event, which exits the process.)
(testBackends().includes('postgres') ? describe : describe.skip)('the evaluator when its database connection fails', () => {
  const applicationName = `evaluator-outage-${process.pid}`;
  // No run starts here, so no model is ever called.
  const caller: ModelCaller = {
    kind: 'provider',
    generate: () => Promise.reject(new Error('no model is called in this test')),
    close: () => undefined,
  };
  let scratch: ScratchPostgres;
  let proxy: FaultProxy;
  let database: Database;
  let test: TestEvaluator;
  let client: EvaluatorServiceClient;
  let observer: pg.Client;
  let locker: pg.Client;

  beforeAll(async () => {
    scratch = await createScratchPostgres();
    const url = new URL(scratch.url);
    proxy = await startFaultProxy({ target: `${url.hostname}:${url.port || 5432}` });
    url.host = proxy.address;
    database = await createPostgresDatabase({ url: url.toString(), maxConnections: 4, applicationName, onConnectionError: () => undefined });
    test = await startTestEvaluator({ caller, database });
    // The SDK's service config retries UNAVAILABLE; off here, to see the first answer.
    client = createEvaluatorClient(test.server.address, { timeoutMs: 30_000, channelOptions: { 'grpc.enable_retries': 0 } });
    // Two direct connections: one holds a lock, the other watches.
    observer = new pg.Client({ connectionString: scratch.url });
    locker = new pg.Client({ connectionString: scratch.url });
    await Promise.all([observer.connect(), locker.connect()]);
  }, 60_000);
  afterAll(async () => {
    client?.close();
    await observer?.end();
    await locker?.end();
    await test?.close();
    await database?.close();
    await proxy?.close();
    await scratch?.drop();
  });
  afterEach(() => proxy.clearToxics());

  it('answers a call whose statement is cut UNAVAILABLE DATABASE_UNAVAILABLE, and serves again', async () => {
    // Hold the runs table so the next GetRun waits on the server, on a pooled connection.
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE runs IN ACCESS EXCLUSIVE MODE');
    const call = failureOf(client.getRun({ runId: 'run_during_reset' }));
    expect(await waitForLockWaiter(observer, applicationName)).toBe(true);

    proxy.setToxics([{ kind: 'reset_peer', scope: 'existing' }]);
    const error = await call;
    await locker.query('ROLLBACK');
    proxy.clearToxics();

    expectDatabaseUnavailable(error);
    await expect(client.getRun({ runId: 'run_during_reset' })).rejects.toMatchObject({ codeName: 'NOT_FOUND' });
  });

  it('answers unary and streaming calls UNAVAILABLE while the server is out of reach', async () => {
    proxy.setToxics([{ kind: 'reset_peer', scope: 'all' }]);
    expectDatabaseUnavailable(await failureOf(client.getModelStatus({ model: 'openai/gpt-4o' })));
    expectDatabaseUnavailable(
      await failureOf(
        (async () => {
          for await (const update of client.watchRun({ runId: 'run_unreachable' })) void update;
        })(),
      ),
    );
    proxy.clearToxics();
    await expect(client.getModelStatus({ model: 'openai/gpt-4o' })).resolves.toMatchObject({ onlineSampleCount: 0n });
  });
});
