/**
 * The load generator every benchmark here shares: fixed-rate open loop (arrivals on a schedule,
 * whatever the latency, so queueing shows up as latency) or fixed-concurrency closed loop (N
 * callers, each sending its next request when the last returns). Transport-agnostic: a target is
 * a function that makes one call and says how it ended (grpc-load.ts, http-load.ts). Every run is
 * bounded by a duration, a request cap and a drain timeout.
 */
import { createLatencyHistogram, type LatencySummary } from './latency-histogram';

/** How one call ended. A target resolves (it never rejects) with the status it checked. */
export interface CallOutcome {
  /** True only for a reply whose status was checked and is success (grpc-status 0, HTTP 2xx). */
  ok: boolean;
  /** `OK`, a gRPC status name (`UNAVAILABLE`) or an HTTP status (`HTTP 500`), or `CLIENT_ERROR`. */
  status: string;
  /** Streaming: ms from the call's start to the first content delta. */
  firstDeltaMs?: number;
  /** A short description of a failure, kept for the first few. */
  error?: string;
}

/** A call under load. */
export type LoadTarget = () => Promise<CallOutcome>;

/** Options for runLoad. */
export interface LoadOptions {
  /** `open`: fixed arrival rate; `closed`: fixed number of callers. */
  mode: 'open' | 'closed';
  /** open: arrivals per second. */
  rate?: number;
  /** closed: callers; open: the most calls in flight before further arrivals are counted as dropped (default 4096). */
  concurrency?: number;
  /** How long to send, ms. */
  durationMs: number;
  /** The most calls to send. */
  maxRequests: number;
  /** How long to wait for calls still in flight after sending stops, ms (default 10 000); those left count as errors. */
  drainTimeoutMs?: number;
  target: LoadTarget;
}

/** What a run measured. */
export interface LoadReport {
  mode: 'open' | 'closed';
  /** open: the rate asked for. */
  offeredRate?: number;
  concurrency?: number;
  sent: number;
  ok: number;
  errors: number;
  /** open: arrivals not sent because `concurrency` calls were already in flight (the target is overloaded). */
  dropped: number;
  /** Replies by status, `OK` included. */
  statuses: Record<string, number>;
  /** Up to 3 distinct failure descriptions. */
  sampleErrors: string[];
  /** From the first send to the last reply, s. */
  seconds: number;
  /** Successful replies per second over `seconds`. */
  achievedRate: number;
  /** Latency of successful calls, ms. */
  latency: LatencySummary;
  /** Streaming: time to first delta of successful calls, ms. */
  firstDelta?: LatencySummary;
  /** open: how late the generator sent calls behind their schedule, p99 ms (a saturated client shows here). */
  scheduleLagP99Ms?: number;
}

/** Runs one bounded load and reports latency percentiles, throughput and status counts. */
export async function runLoad(options: LoadOptions): Promise<LoadReport> {
  const latency = createLatencyHistogram();
  const firstDelta = createLatencyHistogram();
  const lag = createLatencyHistogram();
  const statuses: Record<string, number> = {};
  const sampleErrors: string[] = [];
  let sent = 0;
  let ok = 0;
  let errors = 0;
  let dropped = 0;
  let inFlight = 0;
  let lastReplyAt = 0;
  const maxInFlight = options.concurrency ?? 4096;
  const started = performance.now();
  const stopAt = started + options.durationMs;

  const settle = (outcome: CallOutcome, t0: number) => {
    const now = performance.now();
    lastReplyAt = now;
    statuses[outcome.status] = (statuses[outcome.status] ?? 0) + 1;
    if (outcome.ok) {
      ok++;
      latency.record(now - t0);
      if (outcome.firstDeltaMs !== undefined) firstDelta.record(outcome.firstDeltaMs);
    } else {
      errors++;
      const description = `${outcome.status}${outcome.error ? `: ${outcome.error.slice(0, 200)}` : ''}`;
      if (sampleErrors.length < 3 && !sampleErrors.includes(description)) sampleErrors.push(description);
    }
  };

  let idle: (() => void) | undefined;
  const fire = () => {
    sent++;
    inFlight++;
    const t0 = performance.now();
    const done = (outcome: CallOutcome) => {
      settle(outcome, t0);
      inFlight--;
      if (inFlight === 0) idle?.();
    };
    options.target().then(done, (error: unknown) => done({ ok: false, status: 'CLIENT_ERROR', error: String(error) }));
    return t0;
  };

  if (options.mode === 'closed') {
    const callers = Math.max(1, options.concurrency ?? 1);
    const caller = async () => {
      while (sent < options.maxRequests && performance.now() < stopAt) {
        const t0 = performance.now();
        sent++;
        let outcome: CallOutcome;
        try {
          outcome = await options.target();
        } catch (error) {
          outcome = { ok: false, status: 'CLIENT_ERROR', error: String(error) };
        }
        settle(outcome, t0);
      }
    };
    await Promise.all(Array.from({ length: callers }, caller));
  } else {
    const rate = options.rate ?? 1;
    // Arrivals are released on a 1 ms tick: each tick sends what the schedule says is due by now.
    await new Promise<void>((resolve) => {
      let scheduled = 0;
      const tick = () => {
        const now = performance.now();
        const due = Math.min(options.maxRequests, Math.floor(((Math.min(now, stopAt) - started) / 1000) * rate) + 1);
        while (scheduled < due) {
          const intendedAt = started + (scheduled * 1000) / rate;
          scheduled++;
          if (inFlight >= maxInFlight) {
            dropped++;
            continue;
          }
          lag.record(fire() - intendedAt);
        }
        if (now >= stopAt || scheduled >= options.maxRequests) resolve();
        else setTimeout(tick, Math.max(0, Math.min(stopAt, started + (scheduled * 1000) / rate) - performance.now()));
      };
      tick();
    });
    if (inFlight > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, options.drainTimeoutMs ?? 10_000);
        idle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      if (inFlight > 0) {
        errors += inFlight;
        statuses.UNFINISHED = inFlight;
      }
    }
  }

  const seconds = ((lastReplyAt || performance.now()) - started) / 1000;
  return {
    mode: options.mode,
    ...(options.mode === 'open' ? { offeredRate: options.rate, scheduleLagP99Ms: lag.quantile(0.99) } : { concurrency: options.concurrency }),
    sent,
    ok,
    errors,
    dropped,
    statuses,
    sampleErrors,
    seconds,
    achievedRate: seconds > 0 ? ok / seconds : 0,
    latency: latency.summary(),
    ...(firstDelta.count > 0 ? { firstDelta: firstDelta.summary() } : {}),
  };
}
