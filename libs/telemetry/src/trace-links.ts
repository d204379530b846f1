// Links from billing's ingest spans to the requests they record. Usage reaches billing later, in
// batches, from the router's outbox, so an ingest span cannot be a child of each request: it links
// to them instead. The router keeps each request's traceparent with its outbox row.
import { context, isSpanContextValid, trace, type Attributes, type Link } from '@opentelemetry/api';
import { parseTraceParent } from '@opentelemetry/core';
import { SWITCHYARD_REQUEST_ID, SWITCHYARD_TEAM } from './gen-ai-attributes';

/** gRPC metadata key carrying one traceparent per usage record of a RecordUsage batch, in order. */
export const TRACE_LINKS_METADATA_KEY = 'switchyard-trace-links';

/** The W3C `traceparent` of the active span (store it with the request's outbox row). */
export function currentTraceparent(ctx = context.active()): string | undefined {
  const spanContext = trace.getSpanContext(ctx);
  if (!spanContext || !isSpanContextValid(spanContext)) return undefined;
  return `00-${spanContext.traceId}-${spanContext.spanId}-0${(spanContext.traceFlags & 1).toString(16)}`;
}

/** A span link to the span a traceparent names, or undefined for a missing or malformed one. */
export function linkFromTraceparent(traceparent: string | undefined, attributes?: Attributes): Link | undefined {
  if (!traceparent) return undefined;
  const spanContext = parseTraceParent(traceparent);
  if (!spanContext || !isSpanContextValid(spanContext)) return undefined;
  return { context: { ...spanContext, isRemote: true }, attributes };
}

/** One usage row as billing's ingest span links to it. */
export interface RecordedRequest {
  requestId: string;
  traceparent?: string;
  team?: string;
}

/**
 * Links for an ingest span, one per row that has a traceparent, each with the row's request id and
 * team. The SDK keeps at most 128 links per span by default: ingest in batches of at most 128 rows
 * per span (or raise OTEL_SPAN_LINK_COUNT_LIMIT).
 */
export function usageIngestLinks(rows: readonly RecordedRequest[]): Link[] {
  const links: Link[] = [];
  for (const row of rows) {
    const attributes: Attributes = { [SWITCHYARD_REQUEST_ID]: row.requestId };
    if (row.team) attributes[SWITCHYARD_TEAM] = row.team;
    const link = linkFromTraceparent(row.traceparent, attributes);
    if (link) links.push(link);
  }
  return links;
}

/**
 * Encodes one traceparent per record (empty for none) for the `switchyard-trace-links` metadata
 * entry of a RecordUsage call — a stop-gap until UsageRecord carries its own traceparent field.
 */
export function encodeTraceLinks(traceparents: readonly (string | undefined)[]): string {
  return traceparents.map((t) => t ?? '').join(',');
}

/** Decodes the `switchyard-trace-links` metadata value into one traceparent (or undefined) per record. */
export function decodeTraceLinks(value: string | undefined): (string | undefined)[] {
  if (!value) return [];
  return value.split(',').map((t) => (t.trim() ? t.trim() : undefined));
}
