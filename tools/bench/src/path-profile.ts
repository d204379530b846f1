/**
 * Where the full path's CPU goes (`npx switchyard bench profile`): starts the benchmark's request path
 * (fake upstream, billing, adapter-openai, router; tracing exported) with every service under
 * `node --cpu-prof`, drives it with the Switchyard SDK in a closed loop, stops the services (V8 writes
 * a profile as a process exits) and summarises each profile over the load window only — start-up,
 * warm-up and shutdown cut out — per call. With `profile: false` it only measures CPU per call (OS
 * accounting, no profiler), which is how to A/B a change: `entries` runs a patched or compiled copy of
 * a service instead of its `src/main.ts`.
 *
 * The `.cpuprofile` files stay in `outDir`, for Chrome DevTools or `cpu-profile-summary.ts --callers`.
 */
import { mkdirSync, readdirSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chatMessage, createRouterClient } from '@switchyard/sdk';
import { startBenchStack, startBenchUpstream, type BenchStack, type BenchUpstream } from './bench-stack';
import { installChildCleanup } from './child-cleanup';
import { summariseProfileFile, type ProfileRow } from './cpu-profile-summary';
import { sdkUnaryTarget } from './grpc-load';
import { runLoad } from './load-generator';
import { cpuPerRequest, cpuSnapshot } from './process-stats';
import { withBillingDatabase, type BillingDatabaseChoice } from './scratch-postgres';

/** The services on the request path, in the order they are reported. */
export const PROFILED_SERVICES = ['router', 'adapter-openai', 'billing'] as const;
export type ProfiledService = (typeof PROFILED_SERVICES)[number];

/** What to run. */
export interface PathProfileOptions {
  repoRoot: string;
  /** Measured calls (after a warm-up of up to 2,000). */
  requests: number;
  /** Closed-loop callers. */
  concurrency: number;
  /** Where the `.cpuprofile` files go (one folder per service). */
  outDir: string;
  /** Rows per table. */
  top: number;
  /** billing's database: `auto` (a scratch PostgreSQL database when the server answers), `postgres`, `pglite`. */
  billingDatabase: BillingDatabaseChoice;
  postgresAdminUrl: string;
  /** Tracing on and exported (default), or the OpenTelemetry SDK disabled. */
  tracing: boolean;
  /** false: CPU per call only, without the profiler. */
  profile: boolean;
  /** Function names whose inclusive time to report. */
  focus: string[];
  /** Entry points (repo-relative) to run instead of a service's own `src/main.ts`. */
  entries: Partial<Record<ProfiledService, string>>;
  log: (line: string) => void;
}

/** One row of a profile table: a function or module and its time per measured call. */
export interface ProfileLine {
  name: string;
  usPerCall: number;
  /** Share of the service's busy time. */
  share: number;
}

/** One service's profile, per measured call. */
export interface ServiceProfile {
  /** Busy time on the JS thread (not idle, not GC), µs per call. */
  busyUsPerCall: number;
  gcUsPerCall: number;
  file: string;
  byModule: ProfileLine[];
  byFunction: ProfileLine[];
  inclusive: ProfileLine[];
}

/** What a run measured. */
export interface PathProfileReport {
  calls: number;
  errors: number;
  callsPerSecond: number;
  p50Ms: number;
  concurrency: number;
  billingDatabase: 'PostgreSQL' | 'PGlite';
  tracing: boolean;
  /** CPU per call of each service, all threads (OS accounting), ms. */
  cpuMsPerCall: Record<ProfiledService, number>;
  /** Present when profiled. */
  profiles?: Partial<Record<ProfiledService, ServiceProfile>>;
}

/** Runs the profile (or, with `profile: false`, the CPU measurement). Bounded by the call count and 2 minutes of load. */
export async function runPathProfile(options: PathProfileOptions): Promise<PathProfileReport> {
  installChildCleanup();
  return withBillingDatabase(options.billingDatabase, { adminUrl: options.postgresAdminUrl, prefix: 'switchyard_profile', log: options.log }, (database) =>
    profileWith(options, database?.url),
  );
}

async function profileWith(options: PathProfileOptions, databaseUrl: string | undefined): Promise<PathProfileReport> {
  const stateDir = mkdtempSync(join(tmpdir(), 'switchyard-profile-'));
  const dirOf = (name: ProfiledService) => join(options.outDir, name);
  let upstream: BenchUpstream | undefined;
  let stack: BenchStack | undefined;
  try {
    if (options.profile) for (const name of PROFILED_SERVICES) mkdirSync(dirOf(name), { recursive: true });
    options.log('starting the fake upstream, billing, adapter-openai and the router...');
    upstream = await startBenchUpstream(options.repoRoot);
    stack = await startBenchStack({
      repoRoot: options.repoRoot,
      stateDir,
      upstream,
      tracing: options.tracing,
      billingDatabaseUrl: databaseUrl,
      entries: options.entries,
      nodeFlags: options.profile ? Object.fromEntries(PROFILED_SERVICES.map((name) => [name, ['--cpu-prof', `--cpu-prof-dir=${dirOf(name)}`]])) : {},
    });
    const client = createRouterClient(stack.router, { apiKey: stack.apiKey, timeoutMs: 10_000 });
    const request = { model: 'switchyard/auto', messages: [chatMessage('user', 'Say hello in one word.')] };
    const target = sdkUnaryTarget(() => client.generate(request));
    const warmUp = Math.min(2000, options.requests);
    options.log(`warming up (${warmUp} calls), then ${options.requests} measured calls at ${options.concurrency} callers...`);
    await runLoad({ mode: 'closed', concurrency: options.concurrency, durationMs: 30_000, maxRequests: warmUp, target });
    const processes = stack.processes;
    const before = cpuSnapshot(processes);
    const window = { startMicros: Number(process.hrtime.bigint() / 1000n), endMicros: 0 };
    const load = await runLoad({ mode: 'closed', concurrency: options.concurrency, durationMs: 120_000, maxRequests: options.requests, target });
    window.endMicros = Number(process.hrtime.bigint() / 1000n);
    const after = cpuSnapshot(processes);
    client.close();
    await stack.stop(); // the profiles are written as the processes exit
    stack = undefined;

    const calls = Math.max(1, load.ok);
    const perCall = cpuPerRequest(before, after, calls);
    const cpuMsPerCall = Object.fromEntries(PROFILED_SERVICES.map((name) => [name, round(perCall[name] ?? 0, 3)])) as Record<ProfiledService, number>;
    const report: PathProfileReport = {
      calls: load.ok,
      errors: load.errors,
      callsPerSecond: round(load.achievedRate, 0),
      p50Ms: round(load.latency.p50, 2),
      concurrency: options.concurrency,
      billingDatabase: databaseUrl ? 'PostgreSQL' : 'PGlite',
      tracing: options.tracing,
      cpuMsPerCall,
    };
    if (!options.profile) return report;
    report.profiles = {};
    for (const name of PROFILED_SERVICES) {
      const file = readdirSync(dirOf(name))
        .filter((f) => f.endsWith('.cpuprofile'))
        .sort()
        .at(-1);
      if (!file) continue;
      const summary = summariseProfileFile(join(dirOf(name), file), { top: options.top, window, focus: options.focus });
      const perCall = (rows: ProfileRow[]): ProfileLine[] => rows.map((row) => ({ name: row.name, usPerCall: round((row.ms * 1000) / calls, 1), share: round(row.share, 4) }));
      report.profiles[name] = {
        busyUsPerCall: round((summary.busyMs * 1000) / calls, 0),
        gcUsPerCall: round((summary.gcMs * 1000) / calls, 0),
        file: join(dirOf(name), file),
        byModule: perCall(summary.byModule),
        byFunction: perCall(summary.byFunction),
        inclusive: perCall(summary.inclusive),
      };
    }
    return report;
  } finally {
    await stack?.stop().catch(() => undefined);
    await upstream?.close().catch(() => undefined);
    rmSync(stateDir, { recursive: true, force: true });
  }
}

const round = (value: number, digits: number) => Math.round(value * 10 ** digits) / 10 ** digits;

/** The report as text: the load, CPU per call, then each service's tables in µs per call. */
export function formatPathProfile(report: PathProfileReport): string {
  const lines = [
    `${report.calls} calls (${report.errors} errors) at ${report.concurrency} callers: ${report.callsPerSecond} calls/s, p50 ${report.p50Ms} ms; billing on ${report.billingDatabase}, tracing ${report.tracing ? 'on' : 'off'}`,
    'CPU per call (OS accounting, all threads):',
    ...PROFILED_SERVICES.map((name) => `  ${name.padEnd(15)} ${report.cpuMsPerCall[name].toFixed(3)} ms`),
  ];
  for (const name of PROFILED_SERVICES) {
    const profile = report.profiles?.[name];
    if (!profile) continue;
    lines.push('', `## ${name}: ${profile.busyUsPerCall} µs busy + ${profile.gcUsPerCall} µs GC per call on the JS thread (${profile.file})`);
    for (const [title, rows] of [
      ['by module (self time)', profile.byModule],
      ['by function (self time)', profile.byFunction],
      ['inclusive', profile.inclusive],
    ] as const) {
      if (rows.length === 0) continue;
      lines.push(`${title}:`, ...rows.map((row) => `  ${row.usPerCall.toFixed(1).padStart(8)} µs  ${row.name}`));
    }
  }
  return lines.join('\n');
}
