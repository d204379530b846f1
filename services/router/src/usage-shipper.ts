/**
 * The background shipper: delivers the outbox to billing.RecordUsage in batches, in order, retrying
 * with backoff until billing acknowledges; then advances the outbox's acknowledged offset. Each call
 * carries the records' traceparents (metadata `switchyard-trace-links`), so billing's ingest span
 * links to the request traces.
 */
import { createHash } from 'node:crypto';
import { create, toBinary } from '@bufbuild/protobuf';
import { billing } from '@switchyard/contracts';
import { SwitchyardError, type BillingServiceClient } from '@switchyard/sdk';
import { encodeTraceLinks, TRACE_LINKS_METADATA_KEY } from '@switchyard/telemetry';
import type { Logger } from 'pino';
import type { OutboxBatch, UsageOutbox } from './usage-outbox';

/** Options for createUsageShipper. */
export interface UsageShipperOptions {
  outbox: UsageOutbox;
  /** Billing's RecordUsage. */
  billing: Pick<BillingServiceClient, 'recordUsage'>;
  /** Records per RecordUsage call (billing accepts at most 1000); default 200. */
  batchSize?: number;
  /** When the outbox was empty: after the first new record, wait this long for more before sending, ms; default 50. */
  lingerMs?: number;
  /**
   * After delivering a batch smaller than batchSize, wait this long before reading the next, ms;
   * default 50. Under steady load the outbox is rarely empty, so without this pause each call would
   * carry only the records that arrived during the previous one. A full batch goes at once.
   */
  partialLingerMs?: number;
  /** Backoff after a failed delivery: first and largest delay, ms; defaults 100 and 5000. */
  retryInitialMs?: number;
  retryMaxMs?: number;
  /** Timeout of one RecordUsage call, ms; default 10 000. */
  deliveryTimeoutMs?: number;
  logger?: Logger;
}

/** The running shipper. */
export interface UsageShipper {
  /** Starts delivering in the background. */
  start(): void;
  /** Resolves when the backlog is empty, or false after timeoutMs. */
  drain(timeoutMs: number): Promise<boolean>;
  /** Stops after the call in flight (undelivered records stay on disk for the next start). */
  stop(): Promise<void>;
  /** Deliveries that failed and were retried. */
  failures(): number;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/**
 * The id a row is re-recorded under when billing already holds a different row with its request id
 * (a caller reusing a request id for a new prompt): deterministic, so redelivery stays idempotent,
 * and the served tokens are never left unbilled.
 */
export function conflictRequestId(record: billing.UsageRecord): string {
  const digest = createHash('sha256').update(toBinary(billing.UsageRecordSchema, record)).digest('hex').slice(0, 16);
  return `${record.requestId.slice(0, 111)}~${digest}`; // billing's ids are at most 128 characters
}

// The links ride in one HTTP/2 header, whose list the peer caps (often at 64 KiB): past this many
// characters the remaining records go without a link rather than risk the call being refused.
const MAX_TRACE_LINKS_CHARS = 32 * 1024;

/**
 * The `switchyard-trace-links` metadata of a RecordUsage call: one traceparent per record, in record
 * order; undefined when no record has one. A batch too large for one header carries the leading
 * records' links only (a shorter list means no link for the rest).
 */
export function traceLinksMetadata(traceparents: readonly (string | undefined)[]): Record<string, string> | undefined {
  if (!traceparents.some((t) => t !== undefined)) return undefined;
  let value = encodeTraceLinks(traceparents);
  if (value.length > MAX_TRACE_LINKS_CHARS) value = value.slice(0, value.lastIndexOf(',', MAX_TRACE_LINKS_CHARS));
  return { [TRACE_LINKS_METADATA_KEY]: value };
}

/** Creates the shipper for an outbox. */
export function createUsageShipper(options: UsageShipperOptions): UsageShipper {
  const { outbox, logger } = options;
  const batchSize = options.batchSize ?? 200;
  const lingerMs = options.lingerMs ?? 50;
  const partialLingerMs = options.partialLingerMs ?? 50;
  const retryInitialMs = options.retryInitialMs ?? 100;
  const retryMaxMs = options.retryMaxMs ?? 5000;
  const timeoutMs = options.deliveryTimeoutMs ?? 10_000;
  const controller = new AbortController();
  let loop: Promise<void> | undefined;
  let failed = 0;

  /** Sends rows until each has a final answer; rows billing rejected for good go to the dead-letter file. */
  const deliver = async (records: billing.UsageRecord[], traceparents: (string | undefined)[]) => {
    let toSend = records;
    let links = traceparents;
    for (let round = 0; toSend.length > 0 && round < 2; round++) {
      const response = await options.billing.recordUsage({ records: toSend }, { timeoutMs, signal: controller.signal, metadata: traceLinksMetadata(links) });
      if (response.results.length !== toSend.length) throw new Error(`billing answered ${response.results.length} results for ${toSend.length} rows`);
      const retry: billing.UsageRecord[] = [];
      const retryLinks: (string | undefined)[] = [];
      response.results.forEach((result, i) => {
        const record = toSend[i]!;
        if (result.status === billing.RecordStatus.RECORDED || result.status === billing.RecordStatus.DUPLICATE) return;
        if (result.errorCode === 'ALREADY_EXISTS' && round === 0) {
          retry.push(create(billing.UsageRecordSchema, { ...record, requestId: conflictRequestId(record) }));
          retryLinks.push(links[i]);
          logger?.warn({ request_id: record.requestId }, 'billing holds a different row for this request id; recording under a derived id');
          return;
        }
        outbox.deadLetter(record, `${result.errorCode}: ${result.errorMessage}`);
        logger?.error({ request_id: record.requestId, code: result.errorCode, reason: result.errorMessage }, 'billing rejected a usage row; written to the dead-letter file');
      });
      toSend = retry;
      links = retryLinks;
    }
  };

  const shipBatch = async (batch: OutboxBatch) => {
    let delay = retryInitialMs;
    while (!controller.signal.aborted) {
      try {
        await deliver(batch.records, batch.traceparents);
        outbox.acknowledge(batch.end, batch.records.length);
        return;
      } catch (error) {
        if (controller.signal.aborted) return;
        failed++;
        const code = error instanceof SwitchyardError ? error.codeName : 'ERROR';
        logger?.warn({ code, err: (error as Error).message, records: batch.records.length, retry_in_ms: delay, backlog: outbox.stats().backlog }, 'usage delivery to billing failed; retrying');
        await sleep(delay * (0.8 + Math.random() * 0.4), controller.signal);
        delay = Math.min(delay * 2, retryMaxMs);
      }
    }
  };

  const run = async () => {
    while (!controller.signal.aborted) {
      let batch: OutboxBatch | undefined;
      try {
        batch = await outbox.readBatch(batchSize);
      } catch (error) {
        logger?.error({ err: (error as Error).message }, 'usage outbox read failed; retrying');
        await sleep(retryMaxMs, controller.signal);
        continue;
      }
      if (!batch) {
        await outbox.waitForRecords(controller.signal);
        if (lingerMs > 0) await sleep(lingerMs, controller.signal);
        continue;
      }
      await shipBatch(batch);
      if (batch.records.length < batchSize && partialLingerMs > 0) await sleep(partialLingerMs, controller.signal);
    }
  };

  return {
    start() {
      loop ??= run().catch((error: unknown) => logger?.error({ err: error }, 'usage shipper stopped unexpectedly'));
    },
    async drain(drainTimeoutMs) {
      const deadline = Date.now() + drainTimeoutMs;
      while (outbox.stats().backlog > 0) {
        if (Date.now() >= deadline) return false;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return true;
    },
    async stop() {
      controller.abort();
      await loop;
    },
    failures: () => failed,
  };
}
