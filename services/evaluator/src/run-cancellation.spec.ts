// CancelRun over real gRPC: a run stopped mid-way keeps what it scored, starts no new model call,
// aborts the calls in flight, ends WatchRun, answers the error cases, and is not resumed at restart.
import { common, evaluator, provider } from '@switchyard/contracts';
import { createPgliteDatabase, type Database } from '@switchyard/database';
import { createLogger, startGrpcServer, type RunningGrpcServer } from '@switchyard/grpc-kit';
import { chatMessage, createEvaluatorClient, type EvaluatorServiceClient, type Principal, type ProviderServiceImplementation } from '@switchyard/sdk';
import { startEvaluatorServer } from './evaluator-app';
import type { ModelCaller } from './model-caller';
import { createProviderModelCaller } from './provider-model-caller';
import { longCallChannelOptions } from './testing/long-call-client';
import { startTestEvaluator, testNaming, type TestEvaluator } from './testing/test-evaluator';

/** A ProviderService whose calls answer at once until `hold()`, then wait until `release()` or until the caller aborts them. */
interface GatedProvider {
  server: RunningGrpcServer;
  /** Every call received, by model, in arrival order. */
  calls: string[];
  /** Calls waiting at the gate now. */
  waiting(): number;
  /** Calls whose caller aborted them while they waited. */
  aborted(): number;
  /** From now on, calls wait (after `answerFirst` more answered at once). */
  hold(answerFirst?: number): void;
  /** Answers the waiting calls and lets every later call through. */
  release(): void;
}

async function startGatedProvider(): Promise<GatedProvider> {
  const calls: string[] = [];
  const gate = new Set<() => void>();
  let passes = Infinity;
  let aborted = 0;
  const implementation: ProviderServiceImplementation = {
    async generate(request, context) {
      calls.push(request.model);
      if (passes > 0) passes--;
      else {
        await new Promise<void>((resolve, reject) => {
          const open = () => {
            gate.delete(open);
            context.signal.removeEventListener('abort', abort);
            resolve();
          };
          const abort = () => {
            gate.delete(open);
            aborted++;
            reject(new Error('aborted by the caller'));
          };
          gate.add(open);
          context.signal.addEventListener('abort', abort, { once: true });
        });
      }
      // The safety suite's regex scorer takes any text.
      return { message: chatMessage('assistant', 'Sure, here you go.'), finishReason: common.FinishReason.STOP, usage: { inputTokens: 10n, outputTokens: 5n }, responseModel: request.model };
    },
    // eslint-disable-next-line require-yield
    async *streamGenerate() {
      throw new Error('not used');
    },
    async listModels() {
      return { models: [] };
    },
  };
  const server = await startGrpcServer({
    name: 'gated-provider',
    address: '127.0.0.1:0',
    errorDomain: 'provider.switchyard.dev',
    services: [{ service: provider.ProviderService, implementation }],
    logger: createLogger({ service: 'gated-provider', level: 'silent' }),
    drainGraceMs: 100,
  });
  return {
    server,
    calls,
    waiting: () => gate.size,
    aborted: () => aborted,
    hold(answerFirst = 0) {
      passes = answerFirst;
    },
    release() {
      passes = Infinity;
      for (const open of [...gate]) open();
    },
  };
}

/** Polls `condition` every 10 ms for at most 20 s. */
async function until(what: string, condition: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting until ${what}`);
}

/** Every WatchRun update until the run ends. */
async function watchToEnd(client: EvaluatorServiceClient, runId: string): Promise<evaluator.Run[]> {
  const updates: evaluator.Run[] = [];
  for await (const update of client.watchRun({ runId }, { timeoutMs: 60_000 })) updates.push(update.run!);
  return updates;
}

describe('CancelRun', () => {
  let gated: GatedProvider;
  let caller: ModelCaller;
  let database: Database;
  let test: TestEvaluator;
  /** The same evaluator served with API-key authentication: an admin and a team key. */
  const servers: RunningGrpcServer[] = [];
  const clients: EvaluatorServiceClient[] = [];

  const clientAs = async (principal: Principal) => {
    const server = await startEvaluatorServer({ evaluator: test.evaluator, address: '127.0.0.1:0', logger: createLogger({ service: 'test', level: 'silent' }), authenticate: () => principal, drainGraceMs: 100 });
    servers.push(server);
    const client = createEvaluatorClient(server.address, { channelOptions: longCallChannelOptions({ timeoutSeconds: 60 }) });
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    gated = await startGatedProvider();
    const naming = testNaming();
    caller = createProviderModelCaller({ providers: { openai: gated.server.address }, naming });
    database = await createPgliteDatabase();
    test = await startTestEvaluator({ caller, naming, database });
  }, 120_000);

  afterEach(() => gated.release());

  afterAll(async () => {
    for (const client of clients) client.close();
    for (const server of servers) await server.shutdown(100);
    await test?.close();
    caller?.close();
    await gated?.server.shutdown(100);
    await database?.close();
  });

  it('stops a run mid-way: no call starts after it, calls in flight are aborted, the results so far stay readable', async () => {
    const admin = await clientAs({ keyId: 'key-ops', teamId: 'platform', role: 'admin' });
    const callsBefore = gated.calls.length;
    gated.hold(3);
    const { run } = await admin.startRun({ suite: 'safety', models: ['gpt-4o-mini'], concurrency: 2 });
    const runId = run!.runId;
    // Two workers: three answers recorded, then each worker waits on its next call.
    await until('two calls wait', () => gated.waiting() === 2);
    expect((await admin.getRun({ runId })).run).toMatchObject({ state: evaluator.RunState.RUNNING, completed: 3, total: 28 });
    const watched = watchToEnd(admin, runId);

    const { run: cancelled } = await admin.cancelRun({ runId });
    expect(cancelled).toMatchObject({ state: evaluator.RunState.CANCELLED, completed: 3, cancelledBy: 'key-ops' });
    expect(cancelled!.endTime).toBeDefined();
    expect(cancelled!.aggregates.find((row) => row.taskClass === '')).toMatchObject({ model: 'openai/gpt-4o-mini', scored: 3, errors: 0 });

    await until('the waiting calls are aborted', () => gated.aborted() === 2);
    await test.evaluator.executor.settled(runId);
    gated.release();
    expect(gated.calls.length - callsBefore).toBe(5);
    expect(test.evaluator.executor.active()).not.toContain(runId);

    const updates = await watched;
    expect(updates.at(-1)).toMatchObject({ state: evaluator.RunState.CANCELLED, completed: 3 });
    expect((await admin.getRun({ runId })).run).toMatchObject({ state: evaluator.RunState.CANCELLED, completed: 3 });
    expect((await admin.listRunResults({ runId })).results).toHaveLength(3);

    // Idempotent: the same run again, unchanged.
    const { run: again } = await admin.cancelRun({ runId });
    expect(again).toMatchObject({ state: evaluator.RunState.CANCELLED, completed: 3, cancelledBy: 'key-ops', endTime: cancelled!.endTime });
  });

  it('answers the error cases, naming the field, the id or the state', async () => {
    await expect(test.client.cancelRun({ runId: '' })).rejects.toMatchObject({ codeName: 'INVALID_ARGUMENT', message: expect.stringContaining('run_id') });
    await expect(test.client.cancelRun({ runId: 'run_nope' })).rejects.toMatchObject({ codeName: 'NOT_FOUND', message: expect.stringContaining('run_nope') });

    const { run } = await test.client.startRun({ suite: 'safety', models: ['gpt-4o-mini'], limit: 1 });
    expect((await watchToEnd(test.client, run!.runId)).at(-1)!.state).toBe(evaluator.RunState.SUCCEEDED);
    await expect(test.client.cancelRun({ runId: run!.runId })).rejects.toMatchObject({ codeName: 'FAILED_PRECONDITION', reason: 'RUN_ALREADY_ENDED', message: expect.stringContaining('succeeded') });
    expect((await test.client.getRun({ runId: run!.runId })).run!.state).toBe(evaluator.RunState.SUCCEEDED);

    const team = await clientAs({ keyId: 'key-team', teamId: 'search', role: 'team' });
    await expect(team.cancelRun({ runId: run!.runId })).rejects.toMatchObject({ codeName: 'PERMISSION_DENIED' });
  });

  it('cancels a validation run: ValidateModel answers FAILED_PRECONDITION instead of a verdict', async () => {
    gated.hold();
    // Its failure is caught at once: it arrives while the test awaits CancelRun.
    const validation = test.client
      .validateModel({ requestId: 'validate-cancelled', candidate: 'gpt-4o-mini', incumbent: 'gpt-4o', suite: 'safety', limit: 2 }, { timeoutMs: 60_000 })
      .then(() => 'a verdict', (error: unknown) => error);
    await until('a validation call waits', () => gated.waiting() > 0);
    const [runId] = test.evaluator.executor.active();
    await test.client.cancelRun({ runId: runId! });
    expect(await validation).toMatchObject({ codeName: 'FAILED_PRECONDITION', message: expect.stringContaining('cancelled') });
  });

  it('does not resume a cancelled run when the evaluator restarts, but does resume the others', async () => {
    gated.hold();
    const { run: doomed } = await test.client.startRun({ suite: 'safety', models: ['gpt-4o'], limit: 2, concurrency: 1 });
    const { run: kept } = await test.client.startRun({ suite: 'safety', models: ['gpt-4o-mini'], limit: 2, concurrency: 1 });
    await until('both runs wait on a call', () => gated.waiting() === 2);
    await test.client.cancelRun({ runId: doomed!.runId });
    // A stop leaves `kept` running (resumable); the database stays open for the next evaluator.
    await test.close();
    gated.release();
    const callsBefore = gated.calls.length;

    test = await startTestEvaluator({ caller, naming: testNaming(), database });
    expect((await watchToEnd(test.client, kept!.runId)).at(-1)).toMatchObject({ state: evaluator.RunState.SUCCEEDED, completed: 2 });
    expect(gated.calls.slice(callsBefore)).toEqual(['gpt-4o-mini', 'gpt-4o-mini']);
    expect(test.evaluator.executor.active()).not.toContain(doomed!.runId);
    expect((await test.client.getRun({ runId: doomed!.runId })).run).toMatchObject({ state: evaluator.RunState.CANCELLED, completed: 0 });
  });
});
