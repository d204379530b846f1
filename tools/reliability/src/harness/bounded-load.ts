// A bounded load loop: at most `total` calls, `concurrency` at a time, stopping at `deadlineAt`.
// Each call's outcome is kept by request id, so a scenario can compare what clients were told with
// what the ledger holds.
import { SwitchyardError } from '@switchyard/sdk';

/** What one call ended with. */
export interface CallOutcome {
  requestId: string;
  /** True when the client received a successful response. */
  ok: boolean;
  /** gRPC status name when it failed (`UNAVAILABLE`...), or `CLIENT_ERROR` for a non-gRPC error. */
  code?: string;
  reason?: string;
  message?: string;
  /** RetryInfo of the failure, ms. */
  retryDelayMs?: number;
  /** Milliseconds from start to the outcome. */
  latencyMs: number;
  /** Epoch ms when the call started and ended. */
  startedAt: number;
  endedAt: number;
  /** Anything the call wants to keep (cost, route...). */
  detail?: Record<string, unknown>;
}

/** Options of {@link runBoundedLoad}. */
export interface BoundedLoadOptions {
  /** Most calls to make. */
  total: number;
  concurrency: number;
  /** Epoch ms after which no new call starts. */
  deadlineAt: number;
  /** Request id of call `i`. */
  requestId: (i: number) => string;
  /** Makes call `i`; resolves with optional detail on success, throws on failure. */
  call: (requestId: string, i: number) => Promise<Record<string, unknown> | void>;
  /** Stops starting new calls when it returns true. */
  stop?: () => boolean;
  /** Pause between calls of one worker, ms (default 0). */
  pauseMs?: number;
  /**
   * A worker whose call failed without any status from the system (connection refused or cut)
   * waits this long, doubling per consecutive such failure up to 8×, as a client backs off.
   */
  backoffAfterTransportFailureMs?: number;
  /** Sees every outcome as it happens. */
  onOutcome?: (outcome: CallOutcome, done: number) => void;
}

/** The outcomes of a load run. */
export interface LoadResult {
  outcomes: CallOutcome[];
  succeeded: CallOutcome[];
  failed: CallOutcome[];
  /** Failure counts by status name. */
  failuresByCode: Record<string, number>;
  wallMs: number;
}

/** Runs the load; never throws for a failed call. */
export async function runBoundedLoad(options: BoundedLoadOptions): Promise<LoadResult> {
  const started = Date.now();
  const outcomes: CallOutcome[] = [];
  let next = 0;
  const worker = async () => {
    let transportFailures = 0;
    while (next < options.total && Date.now() < options.deadlineAt && !options.stop?.()) {
      const i = next++;
      const requestId = options.requestId(i);
      const t0 = performance.now();
      const startedAt = Date.now();
      let outcome: CallOutcome;
      try {
        const detail = await options.call(requestId, i);
        outcome = { requestId, ok: true, latencyMs: performance.now() - t0, startedAt, endedAt: Date.now(), ...(detail ? { detail } : {}) };
      } catch (error) {
        outcome =
          error instanceof SwitchyardError
            ? {
                requestId,
                ok: false,
                code: error.codeName,
                reason: error.reason,
                message: error.message,
                retryDelayMs: error.retryDelayMs,
                latencyMs: performance.now() - t0,
                startedAt,
                endedAt: Date.now(),
              }
            : { requestId, ok: false, code: 'CLIENT_ERROR', message: String(error), latencyMs: performance.now() - t0, startedAt, endedAt: Date.now() };
      }
      outcomes.push(outcome);
      options.onOutcome?.(outcome, outcomes.length);
      transportFailures = !outcome.ok && !outcome.reason ? transportFailures + 1 : 0;
      const pause =
        transportFailures > 0 && options.backoffAfterTransportFailureMs
          ? options.backoffAfterTransportFailureMs * 2 ** Math.min(3, transportFailures - 1)
          : options.pauseMs;
      if (pause) await new Promise((resolve) => setTimeout(resolve, pause));
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const failed = outcomes.filter((o) => !o.ok);
  const failuresByCode: Record<string, number> = {};
  for (const f of failed) failuresByCode[f.code!] = (failuresByCode[f.code!] ?? 0) + 1;
  return { outcomes, succeeded: outcomes.filter((o) => o.ok), failed, failuresByCode, wallMs: Date.now() - started };
}

/** Milliseconds → a percentile of latencies (nearest rank). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
