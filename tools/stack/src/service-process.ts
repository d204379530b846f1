import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** How to start one service process. */
export interface ServiceProcessOptions {
  /** Short name for logs, e.g. `router`. */
  name: string;
  /** Executable and arguments, e.g. `['node_modules/.bin/tsx', 'services/router/src/main.ts']`. */
  command: string[];
  cwd: string;
  env: Record<string, string | undefined>;
  /** Called with each line the child prints (stdout and stderr), for the launcher's log. */
  onOutput?: (name: string, line: string) => void;
  /** Called when the child exits unexpectedly and is about to be restarted. */
  onCrash?: (name: string, exit: { code: number | null; signal: NodeJS.Signals | null }, restartInMs: number) => void;
  /** How long a child may take to print its listening line, ms; default 60 s. */
  startTimeoutMs?: number;
  /** Asked before a restart: false while the whole stack is stopping (Ctrl-C reaches every child at once). */
  shouldRestart?: () => boolean;
  /** Restart backoff: first delay and cap, ms; default 500 and 15 000. */
  restartBackoffMs?: { initial: number; max: number };
}

/** A supervised child: restarted with backoff when it dies, stopped gracefully on request. */
export interface ServiceProcess {
  readonly name: string;
  /** The address from the child's `{"event":"listening","address":...}` line. */
  readonly address: string;
  readonly pid: number | undefined;
  /** Times the child was restarted after dying. */
  readonly restarts: number;
  /** SIGTERM, then SIGKILL after graceMs; resolves when the child has exited. No restart after this. */
  stop(graceMs?: number): Promise<void>;
}

interface ListeningLine {
  event: 'listening';
  address: string;
}

function parseListening(line: string): ListeningLine | undefined {
  if (!line.startsWith('{') || !line.includes('"listening"')) return undefined;
  try {
    const parsed = JSON.parse(line) as Partial<ListeningLine> & { msg?: string };
    if ((parsed.event === 'listening' || parsed.msg === 'listening') && typeof parsed.address === 'string') return { event: 'listening', address: parsed.address };
  } catch {
    // not JSON: an ordinary log line
  }
  return undefined;
}

/**
 * Starts a service as its own process and resolves once it prints its listening line. Services print
 * `{"event":"listening","address":"127.0.0.1:PORT"}` on stdout when they are ready to serve.
 */
export function startServiceProcess(options: ServiceProcessOptions): Promise<ServiceProcess> {
  const backoff = options.restartBackoffMs ?? { initial: 500, max: 15_000 };
  let child: ChildProcess | undefined;
  let stopping = false;
  let restarts = 0;
  let address = '';
  let nextDelay = backoff.initial;

  const launch = (onListening: (address: string) => void, onEarlyExit: (reason: string) => void) => {
    const [executable, ...args] = options.command;
    const started = Date.now();
    child = spawn(executable!, args, { cwd: options.cwd, env: options.env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    let listening = false;
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        const ready = !listening ? parseListening(line) : undefined;
        if (ready) {
          listening = true;
          onListening(ready.address);
        }
        options.onOutput?.(options.name, line);
      });
    }
    child.on('exit', (code, signal) => {
      if (stopping || options.shouldRestart?.() === false) return;
      if (!listening) return onEarlyExit(`exited with ${signal ?? `code ${code}`} before it was ready`);
      if (Date.now() - started > 30_000) nextDelay = backoff.initial; // it ran for a while: reset the backoff
      const delay = nextDelay;
      nextDelay = Math.min(backoff.max, nextDelay * 2);
      options.onCrash?.(options.name, { code, signal }, delay);
      setTimeout(() => {
        if (stopping || options.shouldRestart?.() === false) return;
        restarts++;
        launch(
          (restartedAddress) => (address = restartedAddress),
          (reason) => options.onOutput?.(options.name, `restart failed: ${reason}`),
        );
      }, delay).unref();
    });
  };

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stopping = true;
      child?.kill('SIGKILL');
      reject(new Error(`${options.name} did not report listening within ${options.startTimeoutMs ?? 60_000} ms`));
    }, options.startTimeoutMs ?? 60_000);
    launch(
      (firstAddress) => {
        clearTimeout(timer);
        address = firstAddress;
        resolve({
          name: options.name,
          get address() {
            return address;
          },
          get pid() {
            return child?.pid;
          },
          get restarts() {
            return restarts;
          },
          stop(graceMs = 10_000) {
            stopping = true;
            const current = child;
            if (!current || current.exitCode !== null || current.signalCode !== null) return Promise.resolve();
            return new Promise<void>((done) => {
              const kill = setTimeout(() => current.kill('SIGKILL'), graceMs);
              current.once('exit', () => {
                clearTimeout(kill);
                done();
              });
              current.kill('SIGTERM');
            });
          },
        });
      },
      (reason) => {
        clearTimeout(timer);
        reject(new Error(`${options.name} ${reason}`));
      },
    );
  });
}
