// Crash recovery across real processes: SIGKILL the evaluator mid-run, start it again on the same
// PGlite folder, and the run finishes with every (item, model) scored exactly once.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { evaluator } from '@switchyard/contracts';
import type { RunningGrpcServer } from '@switchyard/grpc-kit';
import { createEvaluatorClient } from '@switchyard/sdk';
import { loadGsm8kReplay, startFakeOpenAI, type FakeUpstream } from '@switchyard/testing';
import { DEFAULT_ROUTING_DATA_DIR, REPO_ROOT } from './suites/build-gsm8k-suite';
import { readSuiteFile } from './suites/suite-catalog';
import { startFakeUpstreamProvider } from './testing/fake-upstream-provider';
import { longCallChannelOptions } from './testing/long-call-client';
import { SHIPPED_SUITES_DIR } from './testing/test-evaluator';

const LIMIT = 40;
const MODELS = ['gpt-4-1106-preview', 'mixtral-8x7b-instruct'];

interface EvaluatorProcess {
  child: ChildProcess;
  /** What the process wrote to stderr so far (for failure messages). */
  stderr(): string;
  address: string;
  exited: Promise<number | null>;
  /** Signals the evaluator's process group (it runs as one process: `node --import tsx`). */
  signal(signal: NodeJS.Signals): void;
}

/** Starts `node --import tsx services/evaluator/src/main.ts` and resolves with the address from its listening line. */
function startEvaluatorProcess(env: Record<string, string>): Promise<EvaluatorProcess> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('SWITCHYARD_') && key !== 'DATABASE_URL' && key !== 'NODE_OPTIONS'));
  // One process, no tsx wrapper in between: signals reach the evaluator itself.
  const child = spawn(process.execPath, ['--import', 'tsx', 'services/evaluator/src/main.ts'], {
    cwd: REPO_ROOT,
    env: { ...inherited, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, name);
    } catch {
      // already gone
    }
  };
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code, signal) => {
    if (signal) stderr += `\n[exited on ${signal}]`;
    resolve(code);
  }));
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal('SIGKILL');
      reject(new Error(`evaluator did not start within 45 s: ${stderr}`));
    }, 45_000);
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      if (!line.includes('"listening"')) return;
      const event = JSON.parse(line) as { address: string };
      clearTimeout(timer);
      resolve({ child, address: event.address, exited, signal, stderr: () => stderr });
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`evaluator exited with ${code} before listening: ${stderr}`));
    });
  });
}

describe('a run survives the evaluator being killed', () => {
  let fake: FakeUpstream;
  let provider: RunningGrpcServer;
  let dataDir: string;
  const processes: EvaluatorProcess[] = [];

  beforeAll(async () => {
    const replay = await loadGsm8kReplay(path.join(DEFAULT_ROUTING_DATA_DIR, 'routellm_gsm8k_responses.jsonl'), { strongModel: MODELS[0]!, weakModel: MODELS[1]! });
    // Slow answers, so the kill lands mid-run.
    fake = await startFakeOpenAI({ replay, latencyMs: 150 });
    provider = await startFakeUpstreamProvider({ baseURL: fake.baseURL, apiKey: fake.apiKey });
    dataDir = await mkdtemp(path.join(tmpdir(), 'switchyard-evaluator-resume-'));
  });

  afterAll(async () => {
    for (const p of processes) p.signal('SIGKILL');
    await Promise.all(processes.map((p) => p.exited));
    await provider?.shutdown(100);
    await fake?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('completes the run after a SIGKILL and a restart, scoring every item exactly once', async () => {
    const env = {
      SWITCHYARD_LISTEN: '127.0.0.1:0',
      SWITCHYARD_DATABASE__DATA_DIR: dataDir,
      SWITCHYARD_MODELS__PROVIDERS__OPENAI: provider.address,
      SWITCHYARD_MODELS__PROVIDERS__DEEPINFRA: provider.address,
      SWITCHYARD_LOG_LEVEL: 'warn',
    };
    const first = await startEvaluatorProcess(env);
    processes.push(first);
    const client = createEvaluatorClient(first.address, { channelOptions: longCallChannelOptions({ timeoutSeconds: 60 }) });
    const { run } = await client.startRun({ requestId: 'resume-test', suite: 'gsm8k', models: MODELS, limit: LIMIT, concurrency: 4 });
    const runId = run!.runId;

    // Kill once a good part, but not all, of the run is recorded.
    const deadline = Date.now() + 30_000;
    let completed = 0;
    while (Date.now() < deadline) {
      if (first.child.exitCode !== null || first.child.signalCode !== null) throw new Error(`the evaluator died before the kill: ${first.stderr()}`);
      completed = (await client.getRun({ runId })).run!.completed;
      if (completed >= 16) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    first.signal('SIGKILL');
    await first.exited;
    client.close();
    expect(completed).toBeGreaterThanOrEqual(16);
    expect(completed).toBeLessThan(2 * LIMIT);
    const callsBeforeKill = fake.requests.length;

    const second = await startEvaluatorProcess(env);
    processes.push(second);
    const again = createEvaluatorClient(second.address, { channelOptions: longCallChannelOptions({ timeoutSeconds: 60 }) });
    let final: evaluator.Run | undefined;
    const finishBy = Date.now() + 60_000;
    while (Date.now() < finishBy) {
      final = (await again.getRun({ runId })).run;
      if (final?.state === evaluator.RunState.SUCCEEDED || final?.state === evaluator.RunState.FAILED) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(final?.state).toBe(evaluator.RunState.SUCCEEDED);
    expect(final?.completed).toBe(2 * LIMIT);

    const results: evaluator.ItemResult[] = [];
    let pageToken = '';
    for (let page = 0; page < 5; page++) {
      const response = await again.listRunResults({ runId, pageSize: 1000, pageToken });
      results.push(...response.results);
      pageToken = response.nextPageToken;
      if (!pageToken) break;
    }
    const expectedIds = readSuiteFile(path.join(SHIPPED_SUITES_DIR, 'gsm8k.v1.jsonl')).items.slice(0, LIMIT).map((item) => item.id);
    const pairs = results.map((result) => `${result.itemId} ${result.model}`);
    expect(new Set(pairs).size).toBe(pairs.length);
    expect(pairs.sort()).toEqual(expectedIds.flatMap((id) => [`${id} deepinfra/${MODELS[1]}`, `${id} openai/${MODELS[0]}`]).sort());
    expect(results.every((result) => result.errorMessage === '' && result.score !== undefined)).toBe(true);

    // Only the calls in flight at the kill were asked twice.
    const calls = fake.requests.filter((request) => request.path === '/v1/chat/completions').length;
    expect(callsBeforeKill).toBeGreaterThanOrEqual(completed);
    expect(calls).toBeLessThanOrEqual(2 * LIMIT + 4);

    again.close();
    // A graceful stop: the evaluator drains and exits 0.
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 150_000);
});
