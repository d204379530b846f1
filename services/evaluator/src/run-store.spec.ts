// The store guarantees behind resumability, on embedded PGlite and on a real PostgreSQL server.
import { createTestDatabase, testBackends, type TestDatabase } from '@switchyard/database/testing';
import { applyMigrations } from './migrations/migration-runner';
import { createRunStore, pairKey, type ItemResultRecord, type NewRun, type RunStore } from './run-store';

const newRun = (runId: string, requestId?: string): NewRun => ({
  runId,
  requestId,
  purpose: 'run',
  suiteName: 'demo',
  suiteVersion: '1',
  suiteSha256: 'abc',
  models: ['openai/a', 'openai/b'],
  concurrency: 2,
  itemTimeoutMs: 1000,
  itemLimit: 0,
  total: 4,
});

const result = (runId: string, itemId: string, model: string, score: number | null, taskClass = 'math'): ItemResultRecord => ({
  runId,
  itemId,
  model,
  itemIndex: Number(itemId.slice(1)),
  taskClass,
  score,
  explanation: score === null ? '' : 'ok',
  errorMessage: score === null ? 'model call failed: UNAVAILABLE' : null,
  output: 'answer',
  costNanos: 100n,
  judgeCostNanos: 5n,
  latencyMs: 12,
  attempts: 1,
});

describe.each(testBackends())('the run store on %s', (backend) => {
  let test: TestDatabase;
  let runs: RunStore;

  beforeAll(async () => {
    test = await createTestDatabase(backend);
    expect(await applyMigrations(test.database)).toEqual([1, 2]);
    expect(await applyMigrations(test.database)).toEqual([]);
    runs = createRunStore(test.database);
  }, 30_000);

  afterAll(async () => {
    await test?.close();
  });

  it('creates a run once per request id', async () => {
    const first = await runs.insertRun(newRun('run-1', 'req-1'));
    const second = await runs.insertRun(newRun('run-2', 'req-1'));
    expect(first).toMatchObject({ created: true, run: { runId: 'run-1', state: 'pending', models: ['openai/a', 'openai/b'] } });
    expect(second).toMatchObject({ created: false, run: { runId: 'run-1' } });
    expect((await runs.insertRun(newRun('run-3'))).created).toBe(true);
    expect((await runs.insertRun(newRun('run-4'))).created).toBe(true);
  });

  it('records each (item, model) exactly once', async () => {
    expect(await runs.recordResult(result('run-1', 'i0', 'openai/a', 1))).toBe(true);
    expect(await runs.recordResult(result('run-1', 'i0', 'openai/a', 0))).toBe(false);
    expect(await runs.recordResult(result('run-1', 'i0', 'openai/b', null))).toBe(true);
    expect(await runs.recordResult(result('run-1', 'i1', 'openai/a', 0.5, 'chat'))).toBe(true);
    expect(await runs.countCompleted('run-1')).toBe(3);
    expect(await runs.completedPairs('run-1')).toEqual(new Set([pairKey('i0', 'openai/a'), pairKey('i0', 'openai/b'), pairKey('i1', 'openai/a')]));
    const listed = await runs.listResults('run-1', 0, 10);
    expect(listed.map((row) => [row.itemId, row.model, row.score])).toEqual([
      ['i0', 'openai/a', 1],
      ['i0', 'openai/b', null],
      ['i1', 'openai/a', 0.5],
    ]);
    expect(listed[0]!.costNanos).toBe(100n);
  });

  it('aggregates per model and per model x task class', async () => {
    const rows = await runs.aggregate('run-1');
    const find = (model: string, taskClass: string) => rows.find((row) => row.model === model && row.taskClass === taskClass);
    expect(find('openai/a', '')).toMatchObject({ scored: 2, errors: 0, summary: { n: 2, sum: 1.5, sumSq: 1.25, allBinary: false }, costNanos: 210n });
    expect(find('openai/a', 'math')).toMatchObject({ scored: 1, summary: { allBinary: true } });
    expect(find('openai/b', '')).toMatchObject({ scored: 0, errors: 1, summary: { n: 0 } });
  });

  it('lets one owner hold a run until its lease expires', async () => {
    expect(await runs.claimRun('run-3', 'owner-a', 60_000)).toMatchObject({ state: 'running' });
    expect(await runs.claimRun('run-3', 'owner-b', 60_000)).toBeUndefined();
    expect(await runs.claimableRunIds('owner-b')).not.toContain('run-3');
    expect(await runs.claimRun('run-3', 'owner-a', 60_000)).toBeDefined();
    // An embedded database has no other process: its owner may take every unfinished run at start.
    expect(await runs.claimRun('run-3', 'owner-b', 60_000, true)).toBeDefined();

    expect(await runs.claimRun('run-4', 'owner-a', 1)).toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await runs.claimableRunIds('owner-b')).toContain('run-4');
    expect(await runs.claimRun('run-4', 'owner-b', 60_000)).toBeDefined();
  });

  it('freezes the aggregates when a run ends, and an ended run cannot be claimed', async () => {
    await runs.finishRun('run-1', 'succeeded', '', await runs.aggregate('run-1'));
    const ended = await runs.getRun('run-1');
    expect(ended).toMatchObject({ state: 'succeeded', errorMessage: '' });
    expect(ended!.aggregates!.find((row) => row.model === 'openai/a' && row.taskClass === '')!.costNanos).toBe(210n);
    expect(ended!.endedAt).toBeInstanceOf(Date);
    expect(await runs.claimRun('run-1', 'owner-a', 60_000, true)).toBeUndefined();
    expect(await runs.getRunByRequestId('req-1')).toMatchObject({ runId: 'run-1' });
  });

  it('cancels an unfinished run once: results stop landing, the aggregates so far are frozen, and it is never claimed again', async () => {
    await runs.insertRun(newRun('run-5'));
    expect(await runs.claimRun('run-5', 'owner-a', 60_000)).toBeDefined();
    expect(await runs.recordResult(result('run-5', 'i0', 'openai/a', 1))).toBe(true);

    const cancelled = await runs.cancelRun('run-5', 'key-ops');
    expect(cancelled).toMatchObject({ outcome: 'cancelled', run: { state: 'cancelled', cancelledBy: 'key-ops' } });
    expect(cancelled!.run.endedAt).toBeInstanceOf(Date);
    expect(cancelled!.run.aggregates!.find((row) => row.model === 'openai/a' && row.taskClass === '')).toMatchObject({ scored: 1 });
    expect(await runs.recordResult(result('run-5', 'i1', 'openai/a', 1))).toBe(false);
    expect(await runs.countCompleted('run-5')).toBe(1);
    expect(await runs.claimRun('run-5', 'owner-a', 60_000, true)).toBeUndefined();
    expect(await runs.claimableRunIds('owner-a', true)).not.toContain('run-5');
    expect(await runs.finishRun('run-5', 'succeeded', '', [])).toBe(false);
    expect(await runs.cancelledAmong(['run-5', 'run-3', 'run-nope'])).toEqual(['run-5']);

    expect(await runs.cancelRun('run-5', 'key-other')).toMatchObject({ outcome: 'already', run: { cancelledBy: 'key-ops' } });
    expect(await runs.cancelRun('run-1', 'key-ops')).toMatchObject({ outcome: 'ended', run: { state: 'succeeded', cancelledBy: '' } });
    expect(await runs.cancelRun('run-nope', 'key-ops')).toBeUndefined();
  });
});
