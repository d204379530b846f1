// The central invariant of the crash and replica scenarios: after recovery, every request a client
// was served is in the ledger exactly once, and no request the system refused is billed.
import type { CallOutcome } from './bounded-load';
import { ledgerLabel, type LedgerKey, type LedgerReader } from './ledger';

/** How the ledger compares with what the clients were told. */
export interface ServedVsLedger {
  /** Requests that received a success. */
  served: number;
  /** Served requests found exactly once. */
  servedInLedgerOnce: number;
  /** Served requests with no row (must be empty). */
  servedMissing: string[];
  /** Requests with more than one row (must be empty). */
  duplicated: string[];
  /** Requests refused with a status the system chose (an ErrorInfo reason), e.g. SERVER_DRAINING. */
  refused: number;
  /** Refused requests that have a row anyway (must be empty; broken streams are not "refused"). */
  refusedBilled: string[];
  /**
   * Requests whose connection died with no status from the system (a SIGKILLed process): the client
   * cannot know whether it was served. Billed exactly when its usage reached the outbox.
   */
  inDoubt: number;
  inDoubtBilled: number;
  /** Rows in the ledger for the team, in total. */
  ledgerRows: number;
}

/** Reasons of failures that are billed by design (a stream that broke after its first token). */
const BILLED_FAILURE_REASONS = new Set(['STREAM_BROKEN']);

/**
 * Waits up to `timeoutMs` for every served request to reach the ledger, then compares. Calls are matched
 * to rows by their label (the outcome's `requestId`) in the `key` column: the request id they sent, or
 * the end-user id for calls sent without a request id.
 */
export async function compareServedWithLedger(
  ledger: LedgerReader,
  teamId: string,
  outcomes: readonly CallOutcome[],
  timeoutMs: number,
  key: LedgerKey = 'requestId',
): Promise<ServedVsLedger> {
  const served = outcomes.filter((o) => o.ok).map((o) => o.requestId);
  const refused = outcomes.filter((o) => !o.ok && o.reason && !BILLED_FAILURE_REASONS.has(o.reason)).map((o) => o.requestId);
  const inDoubt = outcomes.filter((o) => !o.ok && !o.reason).map((o) => o.requestId);
  const rows = await ledger.waitFor(teamId, (r) => {
    const ids = new Set(r.map((row) => ledgerLabel(row, key)));
    return served.every((id) => ids.has(id));
  }, timeoutMs);
  const all = outcomes.map((o) => o.requestId);
  const reconciliation = await ledger.reconcile(all, teamId, key);
  const billed = new Set([...reconciliation.once, ...reconciliation.duplicated]);
  return {
    served: served.length,
    servedInLedgerOnce: served.filter((id) => reconciliation.once.includes(id)).length,
    servedMissing: served.filter((id) => reconciliation.missing.includes(id)),
    duplicated: reconciliation.duplicated,
    refused: refused.length,
    refusedBilled: refused.filter((id) => billed.has(id)),
    inDoubt: inDoubt.length,
    inDoubtBilled: inDoubt.filter((id) => billed.has(id)).length,
    ledgerRows: rows.length,
  };
}
