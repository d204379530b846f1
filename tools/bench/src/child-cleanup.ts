/**
 * Every process a benchmark starts is recorded here, so that an interrupted run (Ctrl-C, SIGTERM,
 * an exception that skips a `finally`) still kills them: none may outlive the benchmark, and
 * Portkey, which listens on every interface, least of all.
 */
const tracked = new Set<number>();
let installed = false;

/** Records a child to kill if the benchmark ends abruptly. */
export function trackChildProcess(pid: number | undefined): void {
  if (pid) tracked.add(pid);
}

/** Forgets a child that was stopped normally. */
export function untrackChildProcess(pid: number | undefined): void {
  if (pid) tracked.delete(pid);
}

/** SIGKILLs every tracked child that is still running. */
export function killTrackedChildren(): void {
  for (const pid of tracked) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  tracked.clear();
}

/** Installs (once) the exit and signal handlers that kill tracked children. */
export function installChildCleanup(): void {
  if (installed) return;
  installed = true;
  process.once('exit', killTrackedChildren);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killTrackedChildren();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
}
