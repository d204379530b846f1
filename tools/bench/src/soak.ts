/**
 * `switchyard bench soak`: the Switchyard request path under steady load for minutes (10 by
 * default), sampling every service's resident memory, to catch leaks. Pass = no growth: after a
 * warm-up (the first quarter of the samples), the mean RSS of the last quarter is within
 * max(8 MiB, 5 %) of the mean RSS of the second quarter, for every process, and no call failed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { chatMessage, createRouterClient } from '@switchyard/sdk';
import { startBenchStack, startBenchUpstream, type BenchStack, type BenchUpstream } from './bench-stack';
import { installChildCleanup } from './child-cleanup';
import { sdkUnaryTarget } from './grpc-load';
import { runLoad, type LoadReport } from './load-generator';
import { processCpuMs, processMemoryMiB, type WatchedProcess } from './process-stats';
import { withBillingDatabase } from './scratch-postgres';

/** Options for runSoak. */
export interface SoakOptions {
  repoRoot: string;
  /** How long to run, minutes (default 10). */
  minutes: number;
  /** Arrivals per second (default 20: well inside what the full path sustains on 2 shared cores). */
  rate: number;
  /** RSS sampling interval, s (default 10). */
  sampleEverySeconds: number;
  /** billing's database, as for `bench overhead`. */
  billingDatabase: 'auto' | 'postgres' | 'pglite';
  postgresAdminUrl: string;
  log: (line: string) => void;
}

/** One process's memory over the run. */
export interface SoakProcess {
  name: string;
  /** RSS at each sample, MiB. */
  rssMiB: number[];
  peakRssMiB: number;
  /** Mean RSS of the last quarter minus that of the second quarter, MiB. */
  growthMiB: number;
  pass: boolean;
  cpuMsPerRequest: number;
}

/** What a soak run found. */
export interface SoakReport {
  startedAt: string;
  minutes: number;
  rate: number;
  billingDatabase: string;
  /** Seconds since the start at each sample. */
  sampleSeconds: number[];
  processes: SoakProcess[];
  load: Pick<LoadReport, 'sent' | 'ok' | 'errors' | 'achievedRate' | 'latency' | 'statuses' | 'sampleErrors'>;
  machine: { cpus: number; loadAverageAfter: number[] };
  pass: boolean;
}

const mean = (values: number[]) => (values.length === 0 ? NaN : values.reduce((a, b) => a + b, 0) / values.length);

/** The growth rule: the last quarter's mean against the second quarter's (the first quarter is warm-up). */
export function memoryGrowth(samples: number[]): { growthMiB: number; pass: boolean } {
  const rss = samples.filter((v) => Number.isFinite(v));
  const n = rss.length;
  if (n < 4) return { growthMiB: NaN, pass: true };
  const second = rss.slice(Math.floor(n / 4), Math.floor(n / 2));
  const last = rss.slice(Math.floor((3 * n) / 4));
  const growth = mean(last) - mean(second);
  return { growthMiB: Math.round(growth * 10) / 10, pass: growth <= Math.max(8, 0.05 * mean(second)) };
}

/** Runs the soak and reports RSS over time per process. */
export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  installChildCleanup();
  return withBillingDatabase(options.billingDatabase, { adminUrl: options.postgresAdminUrl, prefix: 'switchyard_soak', log: options.log }, (database) => soakWith(options, database));
}

async function soakWith(options: SoakOptions, database: { url: string; name: string } | undefined): Promise<SoakReport> {
  const stateDir = mkdtempSync(join(tmpdir(), 'switchyard-soak-'));
  const startedAt = new Date().toISOString();
  let upstream: BenchUpstream | undefined;
  let stack: BenchStack | undefined;
  try {
    upstream = await startBenchUpstream(options.repoRoot);
    options.log(`starting Switchyard (billing on ${database ? 'PostgreSQL' : 'PGlite'})...`);
    stack = await startBenchStack({ repoRoot: options.repoRoot, stateDir, upstream, billingDatabaseUrl: database?.url });
    const client = createRouterClient(stack.router, { apiKey: stack.apiKey, timeoutMs: 10_000 });
    const request = { model: 'switchyard/auto', messages: [chatMessage('user', 'What is the capital of Portugal? Answer in one sentence.')] };
    const target = sdkUnaryTarget(() => client.generate(request));
    await runLoad({ mode: 'closed', concurrency: 4, durationMs: 3000, maxRequests: 2000, target });
    // PostgreSQL's backends come and go with billing's connection pool, so they are not watched.
    const processes: WatchedProcess[] = [...stack.processes, { name: 'fake-upstream', pid: upstream.pid }];
    const samples = new Map<string, number[]>(processes.map((p) => [p.name, []]));
    const sampleSeconds: number[] = [];
    const cpuBefore = new Map(processes.map((p) => [p.name, processCpuMs(p.pid)]));
    const t0 = performance.now();
    const sample = () => {
      sampleSeconds.push(Math.round((performance.now() - t0) / 1000));
      for (const p of processes) samples.get(p.name)!.push(Math.round(processMemoryMiB(p.pid).rss * 10) / 10);
    };
    sample();
    const timer = setInterval(() => {
      sample();
      const latest = processes.map((p) => `${p.name} ${samples.get(p.name)!.at(-1)}`).join(', ');
      options.log(`${sampleSeconds.at(-1)} s: RSS MiB ${latest}`);
    }, options.sampleEverySeconds * 1000);
    let report: LoadReport;
    try {
      report = await runLoad({ mode: 'open', rate: options.rate, durationMs: options.minutes * 60_000, maxRequests: Math.ceil(options.rate * options.minutes * 60 * 1.1), target });
    } finally {
      clearInterval(timer);
      client.close();
    }
    sample();
    const result: SoakProcess[] = processes.map((p) => {
      const rss = samples.get(p.name)!;
      const growth = memoryGrowth(rss);
      return {
        name: p.name,
        rssMiB: rss,
        peakRssMiB: Math.round(processMemoryMiB(p.pid).peakRss * 10) / 10,
        ...growth,
        cpuMsPerRequest: Math.round(((processCpuMs(p.pid) - cpuBefore.get(p.name)!) / Math.max(1, report.ok)) * 1000) / 1000,
      };
    });
    return {
      startedAt,
      minutes: options.minutes,
      rate: options.rate,
      billingDatabase: database ? 'PostgreSQL' : 'PGlite',
      sampleSeconds,
      processes: result,
      load: { sent: report.sent, ok: report.ok, errors: report.errors, achievedRate: report.achievedRate, latency: report.latency, statuses: report.statuses, sampleErrors: report.sampleErrors },
      machine: { cpus: cpus().length, loadAverageAfter: loadavg().map((l) => Math.round(l * 100) / 100) },
      pass: result.every((p) => p.pass) && report.errors === 0,
    };
  } finally {
    await stack?.stop();
    await upstream?.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

/** A Markdown table: RSS per process at (up to) ten points in time, growth and verdict. */
export function formatSoakTable(report: SoakReport): string {
  const n = report.sampleSeconds.length;
  const picks = [...new Set(Array.from({ length: Math.min(10, n) }, (_, i) => Math.round((i * (n - 1)) / Math.max(1, Math.min(10, n) - 1))))];
  const header = ['process', ...picks.map((i) => `${report.sampleSeconds[i]} s`), 'peak', 'growth MiB', 'CPU ms/req', 'verdict'];
  const rows = report.processes.map((p) => [p.name, ...picks.map((i) => String(p.rssMiB[i] ?? '–')), String(p.peakRssMiB), String(p.growthMiB), String(p.cpuMsPerRequest), p.pass ? 'no growth' : 'GROWTH']);
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}
