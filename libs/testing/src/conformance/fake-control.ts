import type { RecordedRequest } from '../fake-upstream';
import type { UpstreamFault } from '../upstream-faults';

/**
 * The handle the conformance suite scripts the adapter's upstream through: the fake upstream the
 * adapter under test points at. A running `FakeUpstream` (from `startFakeOpenAI`/`startFakeAnthropic`)
 * is one; the CLI starts one in its own process on the port the adapter was configured with.
 */
export interface FakeControl {
  readonly provider: 'openai' | 'anthropic';
  /** Replaces the fault plan (faults with `times: 1` apply to the next generation request). */
  setFaults(faults: readonly UpstreamFault[]): void;
  clearFaults(): void;
  /** Every request received since the last `clearRequests()`. */
  readonly requests: readonly RecordedRequest[];
  clearRequests(): void;
  /** Resolves with the first recorded request matching `predicate`; rejects after `timeoutMs`. */
  waitForRequest(predicate: (request: RecordedRequest) => boolean, timeoutMs?: number): Promise<RecordedRequest>;
}
