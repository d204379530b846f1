import { deadlineExceeded } from '@switchyard/grpc-kit';

/**
 * The timeout to give the SDK for one upstream request: the adapter's configured upstream timeout,
 * cut to what is left of the caller's deadline, so the upstream request never outlives the call.
 * Throws DEADLINE_EXCEEDED when nothing is left.
 */
export function upstreamTimeoutMs(remainingMs: number, configuredMs: number): number {
  if (remainingMs <= 0) throw deadlineExceeded('the call deadline passed before the upstream request was sent');
  return Math.max(1, Math.floor(Math.min(configuredMs, remainingMs)));
}
