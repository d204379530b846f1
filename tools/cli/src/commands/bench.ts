/**
 * `switchyard bench overhead|profile|billing|router-decision|soak`: the benchmarks of tools/bench. Each
 * starts the processes it measures itself (on loopback, in temporary folders) and stops them at
 * the end, so no running stack is needed (or touched).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import {
  defaultOverheadOptions,
  formatOverheadTable,
  formatPathProfile,
  formatSoakTable,
  PROFILED_SERVICES,
  runOverheadBenchmark,
  runPathProfile,
  runSoak,
  SCENARIOS,
  type ProfiledService,
  type ScenarioName,
} from '@switchyard/bench';
import { toJson } from '../output';

const repoRoot = resolve(__dirname, '../../../..');

function positiveNumber(name: string, max: number) {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0 || n > max) throw new InvalidArgumentError(`${name} must be a number above 0 and at most ${max}`);
    return n;
  };
}

function rateList(value: string): number[] {
  const rates = value.split(',').map(Number);
  if (rates.some((r) => !Number.isFinite(r) || r <= 0 || r > 100_000)) throw new InvalidArgumentError('rates must be a comma-separated list of req/s, e.g. 100,500,1000');
  return rates;
}

function scenarioList(value: string): ScenarioName[] {
  const names = value.split(',');
  for (const name of names) if (!(SCENARIOS as readonly string[]).includes(name)) throw new InvalidArgumentError(`unknown scenario "${name}" (choose from ${SCENARIOS.join(', ')})`);
  return names as ScenarioName[];
}

function databaseChoice(value: string): 'auto' | 'postgres' | 'pglite' {
  if (value !== 'auto' && value !== 'postgres' && value !== 'pglite') throw new InvalidArgumentError('--billing-db must be auto, postgres or pglite');
  return value;
}

/** `--entry router=dist/router/main.js`, repeatable. */
function entryOption(value: string, entries: Partial<Record<ProfiledService, string>>): Partial<Record<ProfiledService, string>> {
  const [service, file] = value.split('=');
  if (!file || !(PROFILED_SERVICES as readonly string[]).includes(service ?? '')) throw new InvalidArgumentError(`--entry must be SERVICE=FILE with SERVICE one of ${PROFILED_SERVICES.join(', ')}`);
  return { ...entries, [service!]: file };
}

/** Runs one of tools/bench's standalone scripts with the CLI's arguments, in the foreground. */
function runBenchScript(script: string, args: string[]): Promise<void> {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--require', 'tsx/cjs', `tools/bench/src/${script}`, ...args], { cwd: repoRoot, env, stdio: 'inherit' });
    child.once('error', fail);
    child.once('exit', (code, signal) => {
      if (code === 0) done();
      else {
        process.exitCode = code ?? 1;
        fail(new Error(`${script} exited with ${signal ?? `code ${code}`}`));
      }
    });
  });
}

/** Registers `bench` and its subcommands. */
export function registerBench(program: Command): void {
  const bench = program.command('bench').description('benchmarks: gateway overhead vs direct and Portkey, billing ingest, router decision time, memory soak');

  bench
    .command('overhead')
    .description('direct (OpenAI SDK → fake upstream) vs Switchyard (SDK → router → adapter → fake) vs Portkey gateway 1.15.2, side by side')
    .option('--duration <s>', 'seconds per measured step (about 25 steps; the default run takes 5–8 minutes)', positiveNumber('--duration', 600), 8)
    .option('--rates <list>', 'fixed rates to measure, req/s (a rate above what a scenario sustains is skipped)', rateList, [25, 100, 500, 1000])
    .option('--p99-bound <ms>', 'p99 bound of "sustainable" throughput, ms', positiveNumber('--p99-bound', 60_000), 50)
    .option('--stream-rate <n>', 'streams started per second in the time-to-first-token phase', positiveNumber('--stream-rate', 10_000), 10)
    .option('--ttft <ms>', "the fake upstream's time to first token in the streaming phase, ms", positiveNumber('--ttft', 60_000), 300)
    .option('--scenarios <list>', `which scenarios (${SCENARIOS.join(',')})`, scenarioList, [...SCENARIOS])
    .option('--billing-db <db>', "billing's database: auto (PostgreSQL when the local server answers), postgres, pglite", databaseChoice, 'auto')
    .option('--router-entry <file>', 'run a patched copy of the router (repo-relative main.ts) instead of services/router, to A/B a proposed change')
    .option('--json [file]', 'print the report as JSON (progress goes to stderr), or write it to FILE')
    .action(async (flags: { duration: number; rates: number[]; p99Bound: number; streamRate: number; ttft: number; scenarios: ScenarioName[]; billingDb: 'auto' | 'postgres' | 'pglite'; routerEntry?: string; json?: string | boolean }) => {
      const log = (line: string) => process.stderr.write(`${line}\n`);
      const options = {
        ...defaultOverheadOptions(log),
        repoRoot,
        durationS: flags.duration,
        rates: flags.rates,
        p99BoundMs: flags.p99Bound,
        streamRate: flags.streamRate,
        ttftMs: flags.ttft,
        scenarios: flags.scenarios,
        billingDatabase: flags.billingDb,
        ...(flags.routerEntry ? { routerEntry: flags.routerEntry } : {}),
      };
      const report = await runOverheadBenchmark(options);
      report.command = `npx switchyard ${process.argv.slice(2).join(' ')}`;
      if (flags.json === true) return console.log(toJson(report));
      if (typeof flags.json === 'string') writeFileSync(flags.json, `${toJson(report)}\n`);
      console.log(`\n${formatOverheadTable(report)}\n`);
      for (const target of report.targets) console.log(`${target.met === null ? '  ?' : target.met ? 'met' : 'MISSED'}  ${target.name}: ${target.measured} (target ${target.target})`);
      console.log(`\n${report.seconds} s; load average ${report.machine.loadAverageBefore[0]} → ${report.machine.loadAverageAfter[0]} on ${report.machine.cpus} cores; billing on ${report.settings.billingDatabase}`);
    });

  bench
    .command('profile')
    .description("where the full path's CPU goes: every service under node --cpu-prof, closed-loop load, per-call tables (or --no-profile: CPU per call only, to A/B a change)")
    .option('--requests <n>', 'measured calls (after a warm-up of up to 2,000)', positiveNumber('--requests', 1_000_000), 4000)
    .option('--concurrency <n>', 'closed-loop callers', positiveNumber('--concurrency', 1000), 8)
    .option('--out <dir>', 'where the .cpuprofile files go (default: a new temporary folder)')
    .option('--top <n>', 'rows per table', positiveNumber('--top', 1000), 25)
    .option('--focus <list>', 'function names whose inclusive time to report, comma-separated', (v: string) => v.split(','), [])
    .option('--billing-db <db>', "billing's database: auto, postgres, pglite", databaseChoice, 'auto')
    .option('--no-tracing', 'run the services without the OpenTelemetry SDK')
    .option('--no-profile', 'measure CPU per call only (OS accounting), without the profiler')
    .option('--entry <service=file>', `run this entry point (repo-relative) instead of a service's src/main.ts, to A/B a patched or compiled copy; repeatable (${PROFILED_SERVICES.join(', ')})`, entryOption, {})
    .option('--json [file]', 'print the report as JSON, or write it to FILE')
    .action(async (flags: { requests: number; concurrency: number; out?: string; top: number; focus: string[]; billingDb: 'auto' | 'postgres' | 'pglite'; tracing: boolean; profile: boolean; entry: Partial<Record<ProfiledService, string>>; json?: string | boolean }) => {
      const log = (line: string) => process.stderr.write(`${line}\n`);
      const report = await runPathProfile({
        repoRoot,
        requests: flags.requests,
        concurrency: flags.concurrency,
        outDir: resolve(flags.out ?? mkdtempSync(join(tmpdir(), 'switchyard-cpuprof-'))),
        top: flags.top,
        billingDatabase: flags.billingDb,
        postgresAdminUrl: defaultOverheadOptions(log).postgresAdminUrl,
        tracing: flags.tracing,
        profile: flags.profile,
        focus: flags.focus,
        entries: flags.entry,
        log,
      });
      if (flags.json === true) return console.log(toJson(report));
      if (typeof flags.json === 'string') writeFileSync(flags.json, `${toJson(report)}\n`);
      console.log(formatPathProfile(report));
      if (report.errors > 0) process.exitCode = 1;
    });

  bench
    .command('billing')
    .description('billing ingest (RecordUsage rows/s) on PGlite and PostgreSQL (tools/bench/src/billing-ingest.ts; writes its docs section unless --no-write)')
    .option('--rows <n>', 'rows per backend', '50000')
    .option('--batch <n>', 'rows per RecordUsage call', '1000')
    .option('--clients <n>', 'concurrent clients', '4')
    .option('--no-write', 'do not update docs/benchmarks.md')
    .action(async (flags: { rows: string; batch: string; clients: string; write: boolean }) => {
      await runBenchScript('billing-ingest.ts', ['--rows', flags.rows, '--batch', flags.batch, '--clients', flags.clients, ...(flags.write ? [] : ['--no-write'])]);
    });

  bench
    .command('router-decision')
    .description("µs per routing decision (validate, read, classify, choose) and the usage outbox's group commit (tools/bench/src/router-decision.ts)")
    .option('--decisions <n>', 'timed decisions per classifier', '20000')
    .option('--no-write', 'do not update docs/benchmarks.md')
    .action(async (flags: { decisions: string; write: boolean }) => {
      await runBenchScript('router-decision.ts', ['--decisions', flags.decisions, ...(flags.write ? [] : ['--no-write'])]);
    });

  bench
    .command('soak')
    .description('the Switchyard request path under steady load for minutes; RSS of every service over time (no growth = pass)')
    .option('--minutes <m>', 'how long', positiveNumber('--minutes', 24 * 60), 10)
    .option('--rate <n>', 'requests per second', positiveNumber('--rate', 100_000), 20)
    .option('--sample <s>', 'RSS sampling interval, s', positiveNumber('--sample', 3600), 10)
    .option('--billing-db <db>', "billing's database: auto, postgres, pglite", databaseChoice, 'auto')
    .option('--json [file]', 'print the report as JSON, or write it to FILE')
    .action(async (flags: { minutes: number; rate: number; sample: number; billingDb: 'auto' | 'postgres' | 'pglite'; json?: string | boolean }) => {
      const log = (line: string) => process.stderr.write(`${line}\n`);
      const report = await runSoak({
        repoRoot,
        minutes: flags.minutes,
        rate: flags.rate,
        sampleEverySeconds: flags.sample,
        billingDatabase: flags.billingDb,
        postgresAdminUrl: defaultOverheadOptions(log).postgresAdminUrl,
        log,
      });
      if (flags.json === true) console.log(toJson(report));
      else {
        if (typeof flags.json === 'string') writeFileSync(flags.json, `${toJson(report)}\n`);
        console.log(`\n${formatSoakTable(report)}\n`);
        console.log(`${report.load.ok}/${report.load.sent} ok at ${report.load.achievedRate.toFixed(1)} req/s, p50 ${report.load.latency.p50.toFixed(2)} ms, p99 ${report.load.latency.p99.toFixed(2)} ms; ${report.pass ? 'PASS: no growth' : 'FAIL'}`);
      }
      if (!report.pass) process.exitCode = 1;
    });
}
