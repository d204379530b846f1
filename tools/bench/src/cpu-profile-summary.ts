/**
 * Reads a V8 CPU profile (`node --cpu-prof` writes `*.cpuprofile`) and says where the time went:
 * self time by function and by module (an npm package, or a workspace folder such as
 * `services/router`), and inclusive time of chosen functions. Used to profile the hot path.
 *
 *   node --require tsx/cjs tools/bench/src/cpu-profile-summary.ts FILE.cpuprofile [--top 30] [--requests N] [--focus name,name]
 *     [--window START_US,END_US]   (process.hrtime microseconds: only the load, not start-up)
 *     [--callers name,name]        (the call stacks that spent the most time in these functions)
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** One row of a summary: a name and its milliseconds. */
export interface ProfileRow {
  name: string;
  ms: number;
  share: number;
}

/** Where a profile's time went. */
export interface ProfileSummary {
  totalMs: number;
  /** Time not idle, not GC, not "(program)". */
  busyMs: number;
  gcMs: number;
  byFunction: ProfileRow[];
  byModule: ProfileRow[];
  /** Inclusive time of functions whose name matches a focus name. */
  inclusive: ProfileRow[];
  /** For each `callersOf` name: the call stacks (innermost first, 4 frames) that spent the most time in it. */
  callers: ProfileRow[];
}

/** The module a script URL belongs to: `npm:<package>`, a workspace folder, or `node:<internal>`. */
export function moduleOf(url: string): string {
  if (!url) return '(native)';
  if (url.startsWith('node:')) return url.replace(/^node:(internal\/)?/, 'node:').split('/').slice(0, 2).join('/');
  const npm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (npm) return `npm:${npm[1]}`;
  const workspace = /\/(libs|services|tools)\/([^/]+)\//.exec(url);
  if (workspace) return `${workspace[1]}/${workspace[2]}`;
  return url.replace(/^file:\/\//, '');
}

/** What to summarise. */
export interface ProfileSummaryOptions {
  /** Rows per table (default 25). */
  top?: number;
  /** Function names whose inclusive time to report. */
  focus?: string[];
  /**
   * Only samples in this window, in microseconds of the monotonic clock that both V8's profile
   * timestamps and `process.hrtime` use (so a benchmark can cut out start-up and shutdown).
   */
  window?: { startMicros: number; endMicros: number };
  /** Function names whose callers to report. */
  callersOf?: string[];
}

const SPECIAL = new Set(['(idle)', '(garbage collector)', '(program)', '(root)']);

/** Summarises a parsed profile. */
export function summariseProfile(profile: CpuProfile, options: ProfileSummaryOptions = {}): ProfileSummary {
  const top = options.top ?? 25;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const selfMicros = new Map<number, number>();
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] ?? 0;
    if (options.window && (at < options.window.startMicros || at > options.window.endMicros)) continue;
    const id = profile.samples[i]!;
    selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const functionMs = new Map<string, number>();
  const moduleMs = new Map<string, number>();
  const inclusiveMs = new Map<string, number>();
  const callerMs = new Map<string, number>();
  const frameName = (id: number) => {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    return `${functionName || '(anonymous)'}${url ? ` ${moduleOf(url)}:${lineNumber + 1}` : ''}`;
  };
  let idle = 0;
  let gc = 0;
  let program = 0;
  let total = 0;
  for (const [id, micros] of selfMicros) {
    const node = byId.get(id)!;
    const { functionName, url, lineNumber } = node.callFrame;
    total += micros;
    if (functionName === '(idle)') idle += micros;
    else if (functionName === '(garbage collector)') gc += micros;
    else if (functionName === '(program)') program += micros;
    const name = `${functionName || '(anonymous)'} ${url ? `${moduleOf(url)}:${lineNumber + 1}` : ''}`.trim();
    functionMs.set(name, (functionMs.get(name) ?? 0) + micros);
    const module = SPECIAL.has(functionName) ? functionName : moduleOf(url);
    moduleMs.set(module, (moduleMs.get(module) ?? 0) + micros);
    if (options.callersOf?.includes(functionName)) {
      const stack: string[] = [];
      for (let at: number | undefined = id; at !== undefined && stack.length < 5; at = parent.get(at)) stack.push(frameName(at));
      const key = stack.join(' ← ');
      callerMs.set(key, (callerMs.get(key) ?? 0) + micros);
    }
    if (options.focus?.length) {
      // Each sample counts once per focus name found on its stack.
      const seen = new Set<string>();
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
        const fn = byId.get(at)!.callFrame.functionName;
        for (const focus of options.focus) if (fn === focus && !seen.has(focus)) seen.add(focus);
      }
      for (const focus of seen) inclusiveMs.set(focus, (inclusiveMs.get(focus) ?? 0) + micros);
    }
  }
  const busy = total - idle - gc - program;
  const rows = (map: Map<string, number>) =>
    [...map.entries()]
      .filter(([name]) => !name.startsWith('(idle)') && !name.startsWith('(program)'))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, micros]) => ({ name, ms: micros / 1000, share: busy > 0 ? micros / busy : 0 }));
  return {
    totalMs: total / 1000,
    busyMs: busy / 1000,
    gcMs: gc / 1000,
    byFunction: rows(functionMs),
    byModule: rows(moduleMs),
    inclusive: rows(inclusiveMs),
    callers: rows(callerMs),
  };
}

/** Reads and summarises a `.cpuprofile` file. */
export function summariseProfileFile(file: string, options: ProfileSummaryOptions = {}): ProfileSummary {
  return summariseProfile(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, options);
}

function printSummary(file: string, summary: ProfileSummary, requests?: number): void {
  const per = (ms: number) => (requests ? ` ${((ms * 1000) / requests).toFixed(1).padStart(7)} µs/req` : '');
  console.log(`\n${file}: ${summary.totalMs.toFixed(0)} ms profiled, ${summary.busyMs.toFixed(0)} ms busy in JS/native, GC ${summary.gcMs.toFixed(0)} ms${per(summary.busyMs)}`);
  for (const [title, rows] of [
    ['by module (self time)', summary.byModule],
    ['by function (self time)', summary.byFunction],
    ['inclusive', summary.inclusive],
    ['callers', summary.callers],
  ] as const) {
    if (rows.length === 0) continue;
    console.log(`  ${title}:`);
    for (const row of rows) console.log(`    ${row.ms.toFixed(1).padStart(8)} ms ${(row.share * 100).toFixed(1).padStart(5)} %${per(row.ms)}  ${row.name}`);
  }
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const flag = (name: string) => {
    const i = args.indexOf(name);
    if (i === -1) return undefined;
    const [value] = args.splice(i, 2).slice(1);
    return value;
  };
  const top = Number(flag('--top') ?? 25);
  const requests = flag('--requests');
  const focus = flag('--focus')?.split(',');
  const callersOf = flag('--callers')?.split(',');
  const windowFlag = flag('--window')?.split(',').map(Number);
  const window = windowFlag ? { startMicros: windowFlag[0]!, endMicros: windowFlag[1]! } : undefined;
  for (const file of args) printSummary(file, summariseProfileFile(file, { top, focus, window, callersOf }), requests ? Number(requests) : undefined);
}
