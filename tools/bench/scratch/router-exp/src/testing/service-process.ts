// Test support: Switchyard services as real processes (`node --import tsx services/<name>/src/main.ts`), the way
// deployments run them. The router and billing print `{"event":"listening","address":...}` once serving;
// adapters log grpc-kit's `"msg":"listening"` line with the address instead (at log level info).
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';

/** A started service process. */
export interface ServiceProcess {
  address: string;
  child: ChildProcess;
  /** Everything it printed, for diagnosing a failure. */
  output: string[];
  /** Sends `signal` (default SIGTERM; SIGKILL after graceMs) and resolves with the exit code or signal. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | string | null>;
}

const repoRoot = resolve(__dirname, '../../../..');

/** A free TCP port on 127.0.0.1 (for a service that must come back on the same port). */
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

/**
 * Starts `services/<service>/src/main.ts` with `env` and resolves once it prints its listening line:
 * the `event` line, or with `readyLine: 'log'` (adapters) grpc-kit's `listening` log line.
 */
export function startServiceProcess(service: string, env: Record<string, string>, startTimeoutMs = 60_000, readyLine: 'event' | 'log' = 'event'): Promise<ServiceProcess> {
  const marker = readyLine === 'event' ? '"event":"listening"' : '"msg":"listening"';
  const childEnv: Record<string, string | undefined> = { ...process.env, SWITCHYARD_LOG_LEVEL: 'warn', ...env };
  delete childEnv.NODE_OPTIONS; // jest's flags are not for the child
  // node --import tsx (not the .bin/tsx wrapper): the pid is the service itself, so SIGKILL kills the service.
  const child = spawn(process.execPath, ['--import', 'tsx', `services/${service}/src/main.ts`], { cwd: repoRoot, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const exited = new Promise<number | string | null>((done) => child.once('exit', (code, signal) => done(code ?? signal)));
  return new Promise((resolveStart, rejectStart) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rejectStart(new Error(`${service} did not start within ${startTimeoutMs} ms:\n${output.join('\n')}`));
    }, startTimeoutMs);
    void exited.then((code) => {
      clearTimeout(timer);
      rejectStart(new Error(`${service} exited with ${code} before listening:\n${output.join('\n')}`));
    });
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        if (output.length < 5000) output.push(line);
        if (!line.includes(marker)) return;
        clearTimeout(timer);
        const { address } = JSON.parse(line) as { address: string };
        resolveStart({
          address,
          child,
          output,
          async stop(signal = 'SIGTERM', graceMs = 15_000) {
            if (child.exitCode !== null || child.signalCode !== null) return child.exitCode ?? child.signalCode;
            child.kill(signal);
            const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
            const code = await exited;
            clearTimeout(kill);
            return code;
          },
        });
      });
    }
  });
}
