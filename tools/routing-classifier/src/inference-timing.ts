/**
 * Times `classify` call by call with `process.hrtime.bigint()` after a warm-up, and summarizes the
 * latencies in microseconds.
 */
import type { PromptClassifier } from '@switchyard/classifier';

/** Latency summary of one classifier, in microseconds. */
export interface InferenceTiming {
  readonly classifier: string;
  readonly calls: number;
  readonly mean: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

/**
 * Classifies every prompt `warmupPasses` times untimed, then `passes` times timing each call.
 * The checksum keeps the JIT from discarding results.
 */
export function timeClassifier(
  name: string,
  classifier: PromptClassifier,
  prompts: readonly string[],
  passes: number,
  warmupPasses: number,
): InferenceTiming & { checksum: number } {
  let checksum = 0;
  for (let pass = 0; pass < warmupPasses; pass++) {
    for (const text of prompts) checksum += classifier.classify({ text }).difficulty;
  }
  const micros = new Float64Array(prompts.length * passes);
  let n = 0;
  for (let pass = 0; pass < passes; pass++) {
    for (const text of prompts) {
      const start = process.hrtime.bigint();
      checksum += classifier.classify({ text }).difficulty;
      micros[n++] = Number(process.hrtime.bigint() - start) / 1000;
    }
  }
  const sorted = micros.sort();
  const mean = sorted.reduce((sum, value) => sum + value, 0) / sorted.length;
  return {
    classifier: name,
    calls: sorted.length,
    mean,
    p50: percentile(sorted, 0.5),
    p99: percentile(sorted, 0.99),
    max: sorted[sorted.length - 1],
    checksum,
  };
}
