// Test support: billing as a real process (`node --import tsx services/billing/src/main.ts`), as deployments run it.
// Node itself is the child (not the tsx CLI, which runs the service in a grandchild and relays signals with a
// timing race): SIGTERM reaches billing's own handler, so a graceful stop exits 0.
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';

/** A started billing process. */
export interface BillingProcess {
  address: string;
  child: ChildProcess;
  /** Everything it printed (for diagnosing a failure). */
  output: string[];
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

const repoRoot = resolve(__dirname, '../../../..');

/** Starts billing with `env` (config overrides) and resolves when it prints its listening line. */
export function startBillingProcess(env: Record<string, string>, startTimeoutMs = 60_000): Promise<BillingProcess> {
  const childEnv: Record<string, string | undefined> = { ...process.env, SWITCHYARD_LISTEN: '127.0.0.1:0', SWITCHYARD_LOG_LEVEL: 'warn', ...env };
  delete childEnv.NODE_OPTIONS; // jest's --experimental-vm-modules is not for the child
  const child = spawn(process.execPath, ['--import', 'tsx', 'services/billing/src/main.ts'], { cwd: repoRoot, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return new Promise((resolveStart, rejectStart) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rejectStart(new Error(`billing did not start within ${startTimeoutMs} ms:\n${output.join('\n')}`));
    }, startTimeoutMs);
    void exited.then((code) => {
      clearTimeout(timer);
      rejectStart(new Error(`billing exited with ${code} before listening:\n${output.join('\n')}`));
    });
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on('line', (line) => {
        output.push(line);
        if (!line.includes('"event":"listening"')) return;
        clearTimeout(timer);
        const { address } = JSON.parse(line) as { address: string };
        resolveStart({
          address,
          child,
          output,
          async stop(graceMs = 10_000) {
            if (child.exitCode !== null) return child.exitCode;
            child.kill('SIGTERM');
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
