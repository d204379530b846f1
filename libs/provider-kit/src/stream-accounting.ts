import type { MessageInitShape } from '@bufbuild/protobuf';
import type { common } from '@switchyard/contracts';

/** A protobuf Duration init from milliseconds. */
export function durationFromMs(ms: number): { seconds: bigint; nanos: number } {
  const whole = Math.max(0, ms);
  const seconds = Math.floor(whole / 1000);
  return { seconds: BigInt(seconds), nanos: Math.round((whole - seconds * 1000) * 1e6) % 1e9 };
}

/** Times one upstream exchange: from request sent to first delta and to the end. */
export interface UpstreamStopwatch {
  /** Marks the first delta (later calls are ignored). */
  markFirstDelta(): void;
  /** Milliseconds from start to the first delta, if there was one. */
  timeToFirstTokenMs(): number | undefined;
  /** Milliseconds since start. */
  elapsedMs(): number;
}

/** Starts a stopwatch now (`now` in ms, default `performance.now`). */
export function startUpstreamStopwatch(now: () => number = () => performance.now()): UpstreamStopwatch {
  const started = now();
  let firstDelta: number | undefined;
  return {
    markFirstDelta() {
      firstDelta ??= now() - started;
    },
    timeToFirstTokenMs: () => firstDelta,
    elapsedMs: () => now() - started,
  };
}

/** PartialUsage for the error of a stream that broke after it started. */
export function partialUsage(
  usage: MessageInitShape<typeof common.TokenUsageSchema>,
  estimated: boolean,
  deliveredCharacters: number,
): MessageInitShape<typeof common.PartialUsageSchema> {
  return { usage, estimated, deliveredCharacters: BigInt(deliveredCharacters) };
}
