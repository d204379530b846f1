// `switchyard eval ...`: run evaluation suites against models and validate a new model, through the evaluator.
import { toJson as protoToJson } from '@bufbuild/protobuf';
import { createEvaluatorClient, evaluator, type EvaluatorServiceClient } from '@switchyard/sdk';
import type { Command } from 'commander';
import { formatTable, formatUsd } from '../output';
import { createProgressBar } from '../progress-bar';
import { CliError, resolveConnection } from '../stack-discovery';

interface EvalFlags {
  evaluator?: string;
  apiKey?: string;
  json?: boolean;
}

interface RunFlags extends EvalFlags {
  suite: string;
  models: string;
  limit?: string;
  concurrency?: string;
  timeout?: string;
  requestId?: string;
}

interface ValidateFlags extends EvalFlags {
  candidate: string;
  incumbent: string;
  suite: string;
  tolerance?: string;
  limit?: string;
  requestId?: string;
}

const STATE_NAMES: Record<number, string> = {
  [evaluator.RunState.PENDING]: 'pending',
  [evaluator.RunState.RUNNING]: 'running',
  [evaluator.RunState.SUCCEEDED]: 'succeeded',
  [evaluator.RunState.FAILED]: 'failed',
  [evaluator.RunState.CANCELLED]: 'cancelled',
};

const STATUS_NAMES: Record<number, string> = {
  [evaluator.ModelStatus.UNSPECIFIED]: 'not validated',
  [evaluator.ModelStatus.VALIDATED]: 'validated',
  [evaluator.ModelStatus.REJECTED]: 'rejected',
  [evaluator.ModelStatus.DEMOTED]: 'demoted',
};

function wholeNumber(flag: string, value: string | undefined, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return 0;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > max) throw new CliError(`${flag} must be a whole number from 0 to ${max}, got "${value}"`);
  return n;
}

/** The models of `--models A,B`. */
export function parseModelList(value: string): string[] {
  const models = value
    .split(',')
    .map((model) => model.trim())
    .filter(Boolean);
  if (models.length === 0) throw new CliError('--models needs at least one model, e.g. --models openai/gpt-4o,gpt-4o-mini');
  return models;
}

const pct = (value: number) => `${(value * 100).toFixed(1)}%`;

/** Aggregates as a table: one row per model (all task classes) and per model x task class. */
export function formatAggregates(rows: readonly evaluator.ModelAggregate[]): string {
  return formatTable(
    ['model', 'task class', 'scored', 'errors', 'mean', '95% CI', 'cost'],
    rows.map((row) => [row.model, row.taskClass || '(all)', row.scored, row.errors, pct(row.meanScore), `${pct(row.ciLow)}–${pct(row.ciHigh)}`, formatUsd(row.costNanosUsd)]),
  );
}

/** The end-of-run summary: state, then the aggregates. */
export function formatRunSummary(run: evaluator.Run): string {
  const by = run.cancelledBy ? ` by ${run.cancelledBy}` : '';
  const head = `run ${run.runId}: ${run.suite}@${run.suiteVersion}, ${STATE_NAMES[run.state] ?? 'unknown'}${by}, ${run.completed}/${run.total} scored`;
  const error = run.errorMessage ? `\nerror: ${run.errorMessage}` : '';
  return `${head}${error}\n\n${formatAggregates(run.aggregates)}`;
}

/** A verdict with its evidence. */
export function formatVerdict(verdict: evaluator.Verdict): string {
  const outcome = verdict.outcome === evaluator.VerdictOutcome.PASS ? 'PASS' : 'FAIL';
  return [
    `${outcome}: ${verdict.candidate} vs ${verdict.incumbent} on ${verdict.suite} (tolerance ${verdict.tolerance})`,
    verdict.reason,
    '',
    formatAggregates([...verdict.candidateScores, ...verdict.incumbentScores]),
    '',
    `evidence: run ${verdict.runId}`,
  ].join('\n');
}

/**
 * The shipped service config (proto/switchyard/service_config.json) caps every EvaluatorService call
 * at 10 s, which would cut WatchRun streams and ValidateModel calls; this copy of its evaluator entry
 * exempts those two, so only each call's own deadline applies.
 */
export function longCallChannelOptions(): Record<string, string> {
  const evaluatorService = 'switchyard.evaluator.v1.EvaluatorService';
  const config = {
    loadBalancingConfig: [{ round_robin: {} }],
    methodConfig: [
      {
        name: [{ service: evaluatorService }],
        timeout: '10s',
        retryPolicy: { maxAttempts: 3, initialBackoff: '0.05s', maxBackoff: '1s', backoffMultiplier: 2, retryableStatusCodes: ['UNAVAILABLE'] },
      },
      // More specific than the service entry, so these two have no config timeout: only the call's deadline.
      { name: [{ service: evaluatorService, method: 'WatchRun' }, { service: evaluatorService, method: 'ValidateModel' }] },
    ],
  };
  return { 'grpc.service_config': JSON.stringify(config) };
}

async function withEvaluator<T>(flags: EvalFlags, use: (client: EvaluatorServiceClient) => Promise<T>): Promise<T> {
  const connection = resolveConnection('evaluator', { address: flags.evaluator, apiKey: flags.apiKey, admin: true });
  const client = createEvaluatorClient(connection.address, { apiKey: connection.apiKey, channelOptions: longCallChannelOptions() });
  try {
    return await use(client);
  } finally {
    client.close();
  }
}

function withEvalFlags(command: Command): Command {
  return command
    .option('--evaluator <address>', 'evaluator address HOST:PORT (default: SWITCHYARD_EVALUATOR, then .switchyard/stack.json)')
    .option('--api-key <key>', 'API key (default: SWITCHYARD_ADMIN_API_KEY, or the local admin key)')
    .option('--json', 'print JSON for scripts');
}

/** Starts a run, draws its progress on stderr while it runs, then prints the summary; returns the final run. */
export async function runSuite(client: EvaluatorServiceClient, flags: RunFlags, stderr: NodeJS.WriteStream = process.stderr): Promise<evaluator.Run> {
  const timeoutSeconds = flags.timeout === undefined ? undefined : Number(flags.timeout);
  if (timeoutSeconds !== undefined && !(timeoutSeconds > 0 && timeoutSeconds <= 600)) throw new CliError(`--timeout must be seconds in (0, 600], got "${flags.timeout}"`);
  const started = await client.startRun({
    requestId: flags.requestId ?? '',
    suite: flags.suite,
    models: parseModelList(flags.models),
    limit: wholeNumber('--limit', flags.limit),
    concurrency: wholeNumber('--concurrency', flags.concurrency, 64),
    itemTimeout: timeoutSeconds === undefined ? undefined : { seconds: BigInt(Math.floor(timeoutSeconds)), nanos: Math.round((timeoutSeconds % 1) * 1e9) },
  });
  let run = started.run!;
  if (stderr.isTTY) stderr.write(`run ${run.runId} (stop it with: switchyard eval cancel ${run.runId})\n`);
  const bar = createProgressBar(`${run.suite} ${run.models.join(', ')}`, stderr);
  bar.update(run.completed, run.total);
  // A dropped stream (evaluator restarted) is resumed by watching again; the run itself survives restarts.
  for (let attempt = 0; attempt < 20 && STATE_NAMES[run.state] !== 'succeeded' && STATE_NAMES[run.state] !== 'failed' && STATE_NAMES[run.state] !== 'cancelled'; attempt++) {
    try {
      for await (const update of client.watchRun({ runId: run.runId }, { timeoutMs: 24 * 3600_000 })) {
        run = update.run ?? run;
        bar.update(run.completed, run.total);
      }
    } catch (error) {
      const code = (error as { codeName?: string }).codeName;
      if (code !== 'UNAVAILABLE' && code !== 'DEADLINE_EXCEEDED') throw error;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
  return run;
}

/** `eval run`, `eval cancel`, `eval validate`, `eval suites`, `eval quality`, `eval status`. */
export function registerEval(program: Command): void {
  const command = program.command('eval').description('evaluation: run suites against models, validate a new model, read quality scores');

  withEvalFlags(command.command('run').description('run a suite against one or more models, with a progress bar and a summary table'))
    .requiredOption('--suite <name>', 'suite name, or name@version (see `eval suites`)')
    .requiredOption('--models <list>', 'comma-separated models, e.g. openai/gpt-4o,gpt-4o-mini')
    .option('--limit <n>', 'only the first N items')
    .option('--concurrency <n>', 'model calls in flight (default 4)')
    .option('--timeout <seconds>', 'deadline of each model call (default 60)')
    .option('--request-id <id>', 'idempotency key: the same id attaches to the same run')
    .action((flags: RunFlags) =>
      withEvaluator(flags, async (client) => {
        const run = await runSuite(client, flags);
        if (flags.json) console.log(JSON.stringify(protoToJson(evaluator.RunSchema, run), null, 2));
        else console.log(formatRunSummary(run));
        if (run.state !== evaluator.RunState.SUCCEEDED) throw new CliError(`run ${run.runId} ${STATE_NAMES[run.state] ?? 'ended'}: ${run.errorMessage || 'see the evaluator logs'}`);
      }),
    );

  withEvalFlags(command.command('cancel').description('cancel a pending or running run: no new model calls start; the results so far stay readable'))
    .argument('<run-id>', 'the run, as `eval run` prints it')
    .action((runId: string, flags: EvalFlags) =>
      withEvaluator(flags, async (client) => {
        const { run } = await client.cancelRun({ runId });
        if (flags.json) console.log(JSON.stringify(protoToJson(evaluator.RunSchema, run!), null, 2));
        else console.log(formatRunSummary(run!));
      }),
    );

  withEvalFlags(command.command('validate').description('run a suite on a candidate and an incumbent and print the verdict (exit code 2 on FAIL)'))
    .requiredOption('--candidate <model>', 'the new model')
    .requiredOption('--incumbent <model>', 'the model it would replace or join')
    .requiredOption('--suite <name>', 'the suite to run')
    .option('--tolerance <x>', 'allowed drop in mean score, 0-1 (default 0.02)')
    .option('--limit <n>', 'only the first N items')
    .option('--request-id <id>', 'idempotency key: call again with the same id to collect the verdict')
    .action((flags: ValidateFlags) =>
      withEvaluator(flags, async (client) => {
        const tolerance = flags.tolerance === undefined ? 0 : Number(flags.tolerance);
        if (!(tolerance >= 0 && tolerance <= 1)) throw new CliError(`--tolerance must be in [0, 1], got "${flags.tolerance}"`);
        const requestId = flags.requestId ?? `cli-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
        if (!flags.json) process.stderr.write(`validating ${flags.candidate} against ${flags.incumbent} on ${flags.suite} (request id ${requestId})...\n`);
        const { verdict } = await client.validateModel(
          { requestId, candidate: flags.candidate, incumbent: flags.incumbent, suite: flags.suite, tolerance, limit: wholeNumber('--limit', flags.limit) },
          { timeoutMs: 24 * 3600_000 },
        );
        if (flags.json) console.log(JSON.stringify(protoToJson(evaluator.VerdictSchema, verdict!), null, 2));
        else console.log(formatVerdict(verdict!));
        if (verdict!.outcome !== evaluator.VerdictOutcome.PASS) process.exitCode = 2;
      }),
    );

  withEvalFlags(command.command('suites').description('list the suites the evaluator serves')).action((flags: EvalFlags) =>
    withEvaluator(flags, async (client) => {
      const suites: evaluator.Suite[] = [];
      let pageToken = '';
      for (let page = 0; page < 100; page++) {
        const response = await client.listSuites({ pageSize: 1000, pageToken });
        suites.push(...response.suites);
        pageToken = response.nextPageToken;
        if (!pageToken) break;
      }
      if (flags.json) return console.log(JSON.stringify(suites.map((suite) => protoToJson(evaluator.SuiteSchema, suite)), null, 2));
      console.log(formatTable(['suite', 'version', 'items', 'scorers', 'description'], suites.map((s) => [s.name, s.version, s.itemCount, s.scorers.join(','), s.description])));
    }),
  );

  withEvalFlags(command.command('quality').description('quality scores per model x task class, as the router reads them'))
    .option('--models <list>', 'only these models')
    .action((flags: EvalFlags & { models?: string }) =>
      withEvaluator(flags, async (client) => {
        const { scores } = await client.getQualityScores({ models: flags.models ? parseModelList(flags.models) : [] });
        if (flags.json) return console.log(JSON.stringify(scores.map((score) => protoToJson(evaluator.QualityScoreSchema, score)), null, 2));
        console.log(
          formatTable(
            ['model', 'task class', 'samples', 'mean', '95% CI', 'updated'],
            scores.map((s) => [s.model, s.taskClass, s.sampleCount, pct(s.meanScore), `${pct(s.ciLow)}–${pct(s.ciHigh)}`, s.updateTime ? new Date(Number(s.updateTime.seconds) * 1000).toISOString() : '']),
          ),
        );
      }),
    );

  withEvalFlags(command.command('status').description("a model's standing: validated, rejected, demoted"))
    .requiredOption('--model <model>', 'the model')
    .action((flags: EvalFlags & { model: string }) =>
      withEvaluator(flags, async (client) => {
        const status = await client.getModelStatus({ model: flags.model });
        if (flags.json) return console.log(JSON.stringify(protoToJson(evaluator.GetModelStatusResponseSchema, status), null, 2));
        console.log(`${flags.model}: ${STATUS_NAMES[status.status] ?? 'unknown'}; online mean ${pct(status.onlineMeanScore)} over ${status.onlineSampleCount} samples`);
        if (status.latestVerdict) console.log(`\nlatest verdict:\n${formatVerdict(status.latestVerdict)}`);
      }),
    );
}
