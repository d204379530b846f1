/**
 * CPU time and memory of processes, read from Linux's /proc (no dependencies, no sampling
 * overhead in the measured process). Elsewhere every reading is NaN.
 */
import { readdirSync, readFileSync } from 'node:fs';

const CLOCK_TICKS_PER_SECOND = 100; // Linux USER_HZ

/** utime + stime of a process, milliseconds (10 ms resolution); NaN when it is gone or /proc is missing. */
export function processCpuMs(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which ends with the last ")": utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}

/** Resident memory of a process: now and its peak (VmHWM), MiB; NaN when unknown. */
export function processMemoryMiB(pid: number | undefined): { rss: number; peakRss: number } {
  if (!pid) return { rss: NaN, peakRss: NaN };
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rss: kib('VmRSS') / 1024, peakRss: kib('VmHWM') / 1024 };
  } catch {
    return { rss: NaN, peakRss: NaN };
  }
}

/** A named process whose resources a benchmark reports. */
export interface WatchedProcess {
  name: string;
  pid: number | undefined;
}

/** CPU milliseconds of each watched process, by name. */
export function cpuSnapshot(processes: readonly WatchedProcess[]): Record<string, number> {
  return Object.fromEntries(processes.map((p) => [p.name, processCpuMs(p.pid)]));
}

/** CPU ms per request of each process between two snapshots. */
export function cpuPerRequest(before: Record<string, number>, after: Record<string, number>, requests: number): Record<string, number> {
  return Object.fromEntries(Object.keys(after).map((name) => [name, (after[name]! - before[name]!) / Math.max(1, requests)]));
}

/** Our own CPU time (user + system), ms, with microsecond resolution. */
export function selfCpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/** PostgreSQL backend processes serving `database` (their process title names it), from /proc. */
export function postgresBackends(database: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const title = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (title.startsWith('postgres: ') && title.includes(` ${database} `)) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}
