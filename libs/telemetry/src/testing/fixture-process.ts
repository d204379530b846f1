// Starting a fixture as a real Node process (tsx, CommonJS) and reading its ready line, for the
// cross-process tests: auto-instrumentation only acts in real processes, never inside jest.
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

/** A running fixture process. */
export interface FixtureProcess {
  /** What the fixture printed as `{"ready": {...}}`. */
  readonly ready: { address: string; metrics?: string };
  /** Every stdout and stderr line so far (logs included). */
  readonly output: string[];
  /** The process id (benchmarks read its CPU time). */
  readonly pid: number;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
  stop(graceMs?: number): Promise<void>;
}

/** The repository root (tsx reads tsconfig.json's path aliases from the working directory). */
export const REPO_ROOT = resolve(__dirname, '../../../..');

/** Spawns `node --require tsx/cjs <script>` with `env` added to the environment; waits (bounded) for its ready line. */
export function startFixtureProcess(script: string, env: Record<string, string>, timeoutMs = 20_000): Promise<FixtureProcess> {
  const child: ChildProcess = spawn(process.execPath, ['--require', 'tsx/cjs', script], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  return new Promise<FixtureProcess>((resolveReady, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} did not become ready within ${timeoutMs} ms:\n${output.join('\n')}`));
    }, timeoutMs);
    const onLine = (line: string) => {
      output.push(line);
      if (!line.startsWith('{"ready"')) return;
      clearTimeout(timer);
      const ready = (JSON.parse(line) as { ready: FixtureProcess['ready'] }).ready;
      resolveReady({
        ready,
        output,
        pid: child.pid ?? -1,
        stop: async (graceMs = 3000) => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          child.kill('SIGTERM');
          const force = setTimeout(() => child.kill('SIGKILL'), graceMs);
          await exited;
          clearTimeout(force);
        },
      });
    };
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      let buffered = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        buffered += chunk;
        let newline: number;
        while ((newline = buffered.indexOf('\n')) >= 0) {
          onLine(buffered.slice(0, newline));
          buffered = buffered.slice(newline + 1);
        }
      });
    }
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code} before it was ready:\n${output.join('\n')}`));
    });
  });
}
