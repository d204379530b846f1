import {
  formatConformanceTable,
  runConformance,
  startFakeAnthropic,
  startFakeOpenAI,
  type ConformanceReport,
  type FakeUpstream,
} from '@switchyard/testing';
import { InvalidArgumentError, Option, type Command } from 'commander';

/** Fixed default ports for the fakes, so an adapter can be configured before the CLI runs. */
export const DEFAULT_FAKE_PORTS = { openai: 18081, anthropic: 18082 } as const;

/** What `switchyard conformance` was asked to do. */
export interface ConformanceCommandOptions {
  /** The adapter under test, HOST:PORT. */
  target: string;
  /** Start this fake upstream (in this process) for the adapter to point at; fault, deadline and cancel cases script it. */
  fake?: 'openai' | 'anthropic';
  /** The fake's port (default 18081 for openai, 18082 for anthropic). */
  fakePort?: number;
  /** The provider key the fake accepts (what the adapter was configured with). */
  fakeApiKey: string;
  /** false: leave out the cases that need a fake (e.g. an adapter pointed at a real upstream). */
  faults: boolean;
  /** The model to exercise (default: the first one ListModels returns). */
  model?: string;
  /** Caller key, for adapters that authenticate calls. */
  apiKey?: string;
  /** Case ids to run. */
  only?: string[];
  /** Print the report as JSON. */
  json?: boolean;
}

/** Where the command writes (tests capture it). */
export interface ConformanceCommandIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

/**
 * Runs the conformance suite against an adapter address and prints a table (or JSON). With
 * `fake`, it first starts that fake upstream on `fakePort` in this process: the adapter must be
 * configured with that base URL (`http://127.0.0.1:18081/v1` for OpenAI-wire adapters,
 * `http://127.0.0.1:18082` for Anthropic) and the fake's key. Resolves with the exit status: 0 only
 * when every case passed (or did not apply to the model).
 */
export async function runConformanceCommand(options: ConformanceCommandOptions, io: ConformanceCommandIo): Promise<number> {
  let fake: FakeUpstream | undefined;
  if (options.fake) {
    const port = options.fakePort ?? DEFAULT_FAKE_PORTS[options.fake];
    const start = options.fake === 'openai' ? startFakeOpenAI : startFakeAnthropic;
    try {
      fake = await start({ port, apiKey: options.fakeApiKey });
    } catch (error) {
      io.err(`cannot start the fake ${options.fake} upstream on 127.0.0.1:${port}: ${(error as Error).message}`);
      return 2;
    }
    io.err(`fake ${options.fake} upstream listening at ${fake.baseURL} (key "${options.fakeApiKey}")`);
  } else if (options.faults) {
    io.err('no --fake: cases that script upstream faults are reported as skipped (pass --fake, or --no-faults to leave them out)');
  }
  let report: ConformanceReport;
  try {
    report = await runConformance({
      target: options.target,
      fake,
      faults: options.faults,
      model: options.model,
      apiKey: options.apiKey,
      only: options.only,
      onResult: options.json ? undefined : (result) => io.err(`${result.status.toUpperCase().padEnd(4)} ${result.id}`),
    });
  } finally {
    await fake?.close();
  }
  io.out(options.json ? JSON.stringify(report, null, 2) : formatConformanceTable(report));
  return report.passed ? 0 : 1;
}

function port(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65535) throw new InvalidArgumentError('not a port number');
  return parsed;
}

/** `switchyard conformance --target HOST:PORT`: the adapter conformance suite as a command. */
export function registerConformance(program: Command): void {
  program
    .command('conformance')
    .description('run the ProviderService conformance suite against an adapter; exit status 0 only when every case passes')
    .requiredOption('--target <host:port>', 'the adapter to test')
    .addOption(new Option('--fake <provider>', 'start a fake upstream for the adapter to point at (scripts faults, deadlines, cancels)').choices(['openai', 'anthropic']))
    .option('--fake-port <port>', `port of the fake (default ${DEFAULT_FAKE_PORTS.openai} openai, ${DEFAULT_FAKE_PORTS.anthropic} anthropic)`, port)
    .option('--fake-api-key <key>', 'the provider key the fake accepts (the one the adapter is configured with)', 'test-key')
    .option('--no-faults', 'leave out the cases that need a fake (e.g. against a real upstream)')
    .option('--model <id>', 'model to exercise (default: the first ListModels returns)')
    .addOption(new Option('--api-key <key>', 'caller API key, when the adapter authenticates calls').env('SWITCHYARD_API_KEY'))
    .option('--only <ids>', 'comma-separated case ids to run', (value: string) => value.split(',').map((id) => id.trim()).filter(Boolean))
    .option('--json', 'print the report as JSON')
    .action(async (options: ConformanceCommandOptions) => {
      process.exitCode = await runConformanceCommand(options, { out: (text) => console.log(text), err: (text) => console.error(text) });
    });
}
