// What a disruption waits for during a bounded load: counts of outcomes as they come in. A waiter
// resolves on the very outcome that reaches its count (no polling interval, no wall-clock guess),
// so "kill the router after its 100th answer" means exactly that on a quiet or a loaded machine.
import type { CallOutcome } from './bounded-load';

/** Outcome counts of a running load, and promises for reaching them. */
export interface LoadProgress {
  /** Calls that ended so far. */
  done(): number;
  /** Calls that succeeded so far. */
  succeeded(): number;
  /** Resolves once `count` calls have ended; rejects if the load ends first. */
  whenDone(count: number): Promise<void>;
  /** Resolves once `count` calls have succeeded; rejects if the load ends first. */
  whenSucceeded(count: number): Promise<void>;
  /** Feeds one outcome (the load's `onOutcome`). */
  record(outcome: CallOutcome): void;
  /** The load ended: waiters still waiting are rejected. */
  end(): void;
}

interface Waiter {
  reached: () => boolean;
  what: string;
  resolve: () => void;
  reject: (error: Error) => void;
}

/** Creates the progress of one load. */
export function createLoadProgress(): LoadProgress {
  let done = 0;
  let succeeded = 0;
  let ended = false;
  const waiters = new Set<Waiter>();
  const wait = (reached: () => boolean, what: string) =>
    new Promise<void>((resolve, reject) => {
      if (reached()) return resolve();
      if (ended) return reject(new Error(`the load ended before ${what} (done ${done}, succeeded ${succeeded})`));
      waiters.add({ reached, what, resolve, reject });
    });
  return {
    done: () => done,
    succeeded: () => succeeded,
    whenDone: (count) => wait(() => done >= count, `${count} calls ended`),
    whenSucceeded: (count) => wait(() => succeeded >= count, `${count} calls succeeded`),
    record(outcome) {
      done++;
      if (outcome.ok) succeeded++;
      for (const waiter of waiters) {
        if (!waiter.reached()) continue;
        waiters.delete(waiter);
        waiter.resolve();
      }
    },
    end() {
      ended = true;
      for (const waiter of waiters) waiter.reject(new Error(`the load ended before ${waiter.what} (done ${done}, succeeded ${succeeded})`));
      waiters.clear();
    },
  };
}
