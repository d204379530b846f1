// A Switchyard service as a real process, the way a deployment runs it: `node --import tsx <main.ts>`
// with a config file. Node itself is the child (not the tsx CLI, which would run the service in a
// grandchild), so SIGKILL and SIGTERM reach the service directly.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';

/** The repository root (tools/reliability/src/harness → four levels up). */
export const REPO_ROOT = resolve(__dirname, '../../../..');

/** A free TCP port on 127.0.0.1 (released before returning: bind it at once). */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

/** How to start one service process. */
export interface ServiceProcessOptions {
  /** Short name for diagnostics, e.g. `router-0`. */
  name: string;
  /** Entry point relative to the repo, e.g. `services/router/src/main.ts`. */
  entry: string;
  /** Extra environment on top of a clean copy of the test's environment. */
  env: Record<string, string>;
  /** How long the child may take to print its listening line, ms (default 60 s). */
  startTimeoutMs?: number;
}

/** A started service; `restart()` starts it again with the same options (same config, same port). */
export interface ServiceProcess {
  readonly name: string;
  /** The address from its listening line. */
  readonly address: string;
  readonly pid: number;
  /** Every line the process (and its earlier incarnations) printed on stdout and stderr. */
  readonly output: string[];
  /** True once the current incarnation has exited. */
  exited(): boolean;
  /** Sends a signal to the current incarnation. */
  kill(signal: NodeJS.Signals): void;
  /** Resolves with the exit code (or signal name) of the current incarnation. */
  waitForExit(): Promise<number | string | null>;
  /** SIGTERM, SIGKILL after `graceMs` (default 15 s); resolves once exited. */
  stop(graceMs?: number): Promise<number | string | null>;
  /** Starts a new incarnation (after the previous one exited) and resolves once it listens. */
  restart(): Promise<void>;
}

const MAX_OUTPUT_LINES = 200_000;

function listeningAddress(line: string): string | undefined {
  if (!line.startsWith('{') || !line.includes('listening')) return undefined;
  try {
    const parsed = JSON.parse(line) as { event?: string; msg?: string; address?: unknown };
    if ((parsed.event === 'listening' || parsed.msg === 'listening') && typeof parsed.address === 'string') return parsed.address;
  } catch {
    // an ordinary log line
  }
  return undefined;
}

/** The child's environment: the test's, minus jest's node flags and any inherited Switchyard setting. */
function childEnvironment(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key === 'NODE_OPTIONS' || key.startsWith('SWITCHYARD_') || key.startsWith('OTEL_') || key === 'DATABASE_URL') continue;
    if (key.endsWith('_API_KEY')) continue; // a developer's real provider keys never reach the suite's processes
    env[key] = value;
  }
  return { ...env, OTEL_SDK_DISABLED: 'true', ...extra };
}

/** Starts a service and resolves once it prints its listening line. */
export async function startServiceProcess(options: ServiceProcessOptions): Promise<ServiceProcess> {
  const output: string[] = [];
  let child: ChildProcess;
  let exit: Promise<number | string | null>;
  let address = '';

  const launch = () =>
    new Promise<void>((resolveStart, rejectStart) => {
      const started = spawn(process.execPath, ['--import', 'tsx', options.entry], {
        cwd: REPO_ROOT,
        env: childEnvironment(options.env),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child = started;
      exit = new Promise((done) => started.once('exit', (code, signal) => done(code ?? signal)));
      let settled = false;
      const timeoutMs = options.startTimeoutMs ?? 60_000;
      const timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        started.kill('SIGKILL');
        rejectStart(new Error(`${options.name} did not listen within ${timeoutMs} ms:\n${output.slice(-30).join('\n')}`));
      }, timeoutMs);
      void exit.then((code) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        rejectStart(new Error(`${options.name} exited (${code}) before listening:\n${output.slice(-30).join('\n')}`));
      });
      for (const stream of [started.stdout!, started.stderr!]) {
        createInterface({ input: stream }).on('line', (line) => {
          if (output.length < MAX_OUTPUT_LINES) output.push(line);
          const listening = settled ? undefined : listeningAddress(line);
          if (!listening) return;
          settled = true;
          clearTimeout(timer);
          address = listening;
          resolveStart();
        });
      }
    });

  await launch();
  const isExited = () => child.exitCode !== null || child.signalCode !== null;
  return {
    name: options.name,
    get address() {
      return address;
    },
    get pid() {
      return child.pid ?? -1;
    },
    output,
    exited: isExited,
    kill: (signal) => {
      if (!isExited()) child.kill(signal);
    },
    waitForExit: () => exit,
    async stop(graceMs = 15_000) {
      if (isExited()) return exit;
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exit;
      clearTimeout(force);
      return code;
    },
    async restart() {
      if (!isExited()) throw new Error(`${options.name} is still running; kill it before restarting`);
      await launch();
    },
  };
}
