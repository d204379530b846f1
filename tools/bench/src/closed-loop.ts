/**
 * A small closed-loop measurement for component benchmarks: N workers, each sending its next call
 * when the last returns, bounded by a call count and a time limit. Latency percentiles are read off
 * the sorted samples (the full path's benchmark uses the open-loop generator and histogram instead).
 */

/** One call's timing. */
interface Sample {
  totalMs: number;
  firstDeltaMs?: number;
}

/** What one closed-loop run measured. */
export interface Measurement {
  /** Calls that succeeded. */
  requests: number;
  seconds: number;
  p50: number;
  p99: number;
  /** Median time to the first streamed delta, when the calls streamed. */
  ttftP50?: number;
  errors: number;
}

/** The value at percentile `p` of ascending `sorted` values; NaN when there are none. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/**
 * Runs `call` up to `requests` times with `concurrency` workers, stopping at the time limit. `call`
 * reports each streamed delta through `onDelta` (the first one times the time to first delta). The
 * first error is printed once, so a run full of failures says why.
 */
export async function measureClosedLoop(
  requests: number,
  concurrency: number,
  maxSeconds: number,
  call: (onDelta: () => void) => Promise<void>,
): Promise<Measurement> {
  const samples: Sample[] = [];
  let issued = 0;
  let errors = 0;
  let firstError: unknown;
  const started = performance.now();
  const deadline = started + maxSeconds * 1000;
  const worker = async () => {
    while (issued < requests && performance.now() < deadline) {
      issued++;
      const t0 = performance.now();
      let firstDeltaMs: number | undefined;
      try {
        await call(() => {
          firstDeltaMs ??= performance.now() - t0;
        });
        samples.push({ totalMs: performance.now() - t0, firstDeltaMs });
      } catch (error) {
        errors++;
        firstError ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  if (firstError) console.error(`  ${errors} errors; first: ${String(firstError)}`);
  const seconds = (performance.now() - started) / 1000;
  const totals = samples.map((s) => s.totalMs).sort((a, b) => a - b);
  const ttfts = samples.flatMap((s) => (s.firstDeltaMs === undefined ? [] : [s.firstDeltaMs])).sort((a, b) => a - b);
  return {
    requests: samples.length,
    seconds,
    p50: percentile(totals, 50),
    p99: percentile(totals, 99),
    ...(ttfts.length > 0 ? { ttftP50: percentile(ttfts, 50) } : {}),
    errors,
  };
}
