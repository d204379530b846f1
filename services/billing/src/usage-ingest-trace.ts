// The usage.ingest spans of a RecordUsage call. Usage reaches billing later and batched, through the
// router's outbox, so an ingest span cannot be a child of each request it records: it links to each
// request's span instead (the router sends one traceparent per row, in order, as metadata).
import { context, trace, type Span } from '@opentelemetry/api';
import type { billing } from '@switchyard/contracts';
import type { ServerCallContext } from '@switchyard/sdk';
import {
  decodeTraceLinks,
  recordSpanError,
  SPAN_USAGE_INGEST,
  SWITCHYARD_USAGE_RECORDS,
  switchyardTracer,
  TRACE_LINKS_METADATA_KEY,
  usageIngestLinks,
  type RecordedRequest,
} from '@switchyard/telemetry';

/** The most links one span keeps (the SDK's default OTEL_SPAN_LINK_COUNT_LIMIT): rows per ingest span. */
export const INGEST_LINKS_PER_SPAN = 128;

/**
 * The rows of a RecordUsage batch as the ingest spans link to them: request id, team, and the
 * request's traceparent from the `switchyard-trace-links` metadata entry (absent entries, and
 * entries beyond the batch, are ignored).
 */
export function recordedRequests(records: readonly billing.UsageRecord[], call: Pick<ServerCallContext, 'metadata'>): RecordedRequest[] {
  const sent = call.metadata.get(TRACE_LINKS_METADATA_KEY)[0];
  const traceparents = decodeTraceLinks(typeof sent === 'string' ? sent : sent?.toString('utf8'));
  return records.map((record, index) => ({ requestId: record.requestId, team: record.teamId || undefined, traceparent: traceparents[index] }));
}

/**
 * Runs `write` (the batch's one atomic ledger write) under `usage.ingest` spans that link to the rows'
 * requests: one span per {@link INGEST_LINKS_PER_SPAN} rows, since a span keeps no more links than
 * that. Every span covers the same write and is marked failed if it fails; the first is the active one.
 */
export async function withUsageIngestSpans<T>(rows: readonly RecordedRequest[], write: () => Promise<T>): Promise<T> {
  const parent = context.active();
  const spans: Span[] = [];
  for (let start = 0; start === 0 || start < rows.length; start += INGEST_LINKS_PER_SPAN) {
    const chunk = rows.slice(start, start + INGEST_LINKS_PER_SPAN);
    spans.push(switchyardTracer().startSpan(SPAN_USAGE_INGEST, { attributes: { [SWITCHYARD_USAGE_RECORDS]: chunk.length }, links: usageIngestLinks(chunk) }, parent));
  }
  try {
    return await context.with(trace.setSpan(parent, spans[0]), write);
  } catch (error) {
    for (const span of spans) recordSpanError(span, error);
    throw error;
  } finally {
    for (const span of spans) span.end();
  }
}
