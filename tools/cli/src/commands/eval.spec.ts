import { create } from '@bufbuild/protobuf';
import { createLogger, failedPrecondition, startGrpcServer, type RunningGrpcServer } from '@switchyard/grpc-kit';
import { evaluator, type EvaluatorServiceImplementation } from '@switchyard/sdk';
import { Command } from 'commander';
import { Writable } from 'node:stream';
import { formatRunSummary, parseModelList, registerEval } from './eval';

const aggregate = (model: string, taskClass: string, meanScore: number) =>
  create(evaluator.ModelAggregateSchema, { model, taskClass, scored: 100, errors: 0, meanScore, ciLow: meanScore - 0.07, ciHigh: meanScore + 0.06, costNanosUsd: 2_500_000n });

interface Seen {
  startRun?: evaluator.StartRunRequest;
  validate?: evaluator.ValidateModelRequest;
  cancel?: evaluator.CancelRunRequest;
}

/** A scripted EvaluatorService on real gRPC: a run that completes in three progress updates, a cancellation, and a verdict. */
function scriptedEvaluator(seen: Seen): EvaluatorServiceImplementation {
  const run = (completed: number, state: evaluator.RunState) => ({
    runId: 'run_1',
    suite: 'gsm8k',
    suiteVersion: '1',
    models: ['openai/gpt-4-1106-preview', 'deepinfra/mixtral-8x7b-instruct'],
    state,
    total: 200,
    completed,
    aggregates: state === evaluator.RunState.SUCCEEDED ? [aggregate('openai/gpt-4-1106-preview', '', 0.86), aggregate('deepinfra/mixtral-8x7b-instruct', '', 0.64)] : [],
  });
  const fail = (): never => {
    throw new Error('not scripted');
  };
  return {
    listSuites: () => ({ suites: [{ name: 'gsm8k', version: '1', itemCount: 868, scorers: ['numeric_final_answer'], description: 'math' }] }),
    startRun: (request) => {
      seen.startRun = request;
      return { run: run(0, evaluator.RunState.PENDING) };
    },
    async *watchRun() {
      yield { run: run(50, evaluator.RunState.RUNNING) };
      yield { run: run(150, evaluator.RunState.RUNNING) };
      yield { run: run(200, evaluator.RunState.SUCCEEDED) };
    },
    validateModel: (request) => {
      seen.validate = request;
      return {
        verdict: {
          candidate: request.candidate,
          incumbent: request.incumbent,
          suite: 'gsm8k@1',
          outcome: evaluator.VerdictOutcome.FAIL,
          tolerance: 0.02,
          reason: 'worse beyond the tolerance',
          runId: 'run_v',
          candidateScores: [aggregate(request.candidate, '', 0.64)],
          incumbentScores: [aggregate(request.incumbent, '', 0.86)],
        },
      };
    },
    cancelRun: (request) => {
      seen.cancel = request;
      if (request.runId === 'run_done') throw failedPrecondition('run run_done already succeeded; only a pending or running run can be cancelled', 'RUN_ALREADY_ENDED');
      return { run: { ...run(120, evaluator.RunState.CANCELLED), cancelledBy: 'key-ops' } };
    },
    getRun: fail,
    listRunResults: fail,
    compareRuns: fail,
    getQualityScores: () => ({ scores: [{ model: 'openai/gpt-4o', taskClass: 'math', meanScore: 0.9, sampleCount: 100n, ciLow: 0.83, ciHigh: 0.94 }] }),
    getModelStatus: () => ({ status: evaluator.ModelStatus.REJECTED, onlineSampleCount: 0n }),
    submitExchange: fail,
  };
}

describe('switchyard eval', () => {
  let server: RunningGrpcServer;
  const seen: Seen = {};
  let output: string[];
  let log: jest.SpyInstance;

  beforeAll(async () => {
    server = await startGrpcServer({
      name: 'scripted-evaluator',
      address: '127.0.0.1:0',
      errorDomain: 'evaluator.switchyard.dev',
      services: [{ service: evaluator.EvaluatorService, implementation: scriptedEvaluator(seen) }],
      logger: createLogger({ service: 'test', level: 'silent' }),
    });
  });

  afterAll(async () => {
    await server.shutdown(100);
  });

  beforeEach(() => {
    output = [];
    log = jest.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void output.push(args.join(' ')));
    process.exitCode = undefined;
  });

  afterEach(() => {
    log.mockRestore();
    process.exitCode = undefined;
  });

  const cli = (...args: string[]) => {
    const program = new Command('switchyard').exitOverride();
    registerEval(program);
    return program.parseAsync(['node', 'switchyard', 'eval', ...args, '--evaluator', server.address]);
  };

  it('runs a suite and prints a summary table', async () => {
    await cli('run', '--suite', 'gsm8k', '--models', 'gpt-4-1106-preview, mixtral-8x7b-instruct', '--limit', '100', '--concurrency', '8');
    expect(seen.startRun).toMatchObject({ suite: 'gsm8k', models: ['gpt-4-1106-preview', 'mixtral-8x7b-instruct'], limit: 100, concurrency: 8 });
    const text = output.join('\n');
    expect(text).toContain('run run_1: gsm8k@1, succeeded, 200/200 scored');
    expect(text).toMatch(/openai\/gpt-4-1106-preview\s+\(all\)\s+100\s+0\s+86\.0%\s+79\.0%–92\.0%\s+\$0\.002500/);
  });

  it('prints JSON with --json', async () => {
    await cli('run', '--suite', 'gsm8k', '--models', 'a', '--json');
    const run = JSON.parse(output.join('\n')) as { state: string; completed: number };
    expect(run).toMatchObject({ state: 'RUN_STATE_SUCCEEDED', completed: 200 });
  });

  it('cancels a run and prints what it scored before', async () => {
    await cli('cancel', 'run_1');
    expect(seen.cancel).toMatchObject({ runId: 'run_1' });
    expect(output.join('\n')).toContain('run run_1: gsm8k@1, cancelled by key-ops, 120/200 scored');
    output = [];
    await cli('cancel', 'run_1', '--json');
    expect(JSON.parse(output.join('\n'))).toMatchObject({ state: 'RUN_STATE_CANCELLED', completed: 120, cancelledBy: 'key-ops' });
  });

  it('passes on why a run cannot be cancelled, and needs the run id', async () => {
    await expect(cli('cancel', 'run_done')).rejects.toMatchObject({ codeName: 'FAILED_PRECONDITION', message: expect.stringContaining('already succeeded') });
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      await expect(cli('cancel')).rejects.toMatchObject({ code: 'commander.missingArgument' });
    } finally {
      stderr.mockRestore();
    }
  });

  it('prints a verdict and exits 2 when the candidate fails', async () => {
    await cli('validate', '--candidate', 'mixtral-8x7b-instruct', '--incumbent', 'gpt-4-1106-preview', '--suite', 'gsm8k', '--limit', '50', '--request-id', 'v1');
    expect(seen.validate).toMatchObject({ requestId: 'v1', candidate: 'mixtral-8x7b-instruct', limit: 50 });
    expect(output.join('\n')).toMatch(/^FAIL: mixtral-8x7b-instruct vs gpt-4-1106-preview on gsm8k@1/);
    expect(process.exitCode).toBe(2);
  });

  it('lists suites, quality scores and a model status', async () => {
    await cli('suites');
    await cli('quality');
    await cli('status', '--model', 'mixtral');
    const text = output.join('\n');
    expect(text).toMatch(/gsm8k\s+1\s+868\s+numeric_final_answer/);
    expect(text).toMatch(/openai\/gpt-4o\s+math\s+100\s+90\.0%/);
    expect(text).toContain('mixtral: rejected');
  });

  it('checks its flags', () => {
    expect(() => parseModelList(' , ')).toThrow('--models needs at least one model');
    expect(formatRunSummary(create(evaluator.RunSchema, { runId: 'r', suite: 's', suiteVersion: '1', state: evaluator.RunState.FAILED, errorMessage: 'boom' }))).toContain('error: boom');
  });
});

// The progress bar writes to a terminal only; forced on, it draws on the given stream.
describe('eval run progress', () => {
  it('draws on stderr when it is a terminal', async () => {
    const { createProgressBar } = await import('../progress-bar');
    let drawn = '';
    const stream = new Writable({ write: (chunk, _encoding, done) => ((drawn += String(chunk)), done()) }) as unknown as NodeJS.WriteStream;
    const bar = createProgressBar('gsm8k', stream, true);
    bar.update(50, 200);
    bar.update(200, 200);
    expect(drawn).toContain('\rgsm8k [########......................] 50/200');
    expect(drawn.endsWith('200/200\n')).toBe(true);
  });
});
