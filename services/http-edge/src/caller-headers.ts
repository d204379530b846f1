import type { IncomingHttpHeaders } from 'node:http';
import { EdgeRequestError } from './translate/edge-request-error';
import type { RouterCaller, RoutingInit } from './translate/router-caller';

/** What the edge takes from a caller's HTTP headers. */
export interface CallerHeaders {
  /** The router request fields that come from headers. */
  readonly caller: RouterCaller;
  /** gRPC metadata for the router call: the API key and W3C trace context. */
  readonly metadata: Record<string, string>;
  /** The caller's trace id, when it sent a valid `traceparent`. */
  readonly traceId?: string;
  /** The call's timeout, ms: the edge's limit, cut by `x-switchyard-timeout-ms` or the SDK's `x-stainless-timeout`. */
  readonly timeoutMs: number;
}

/** Options of readCallerHeaders. */
export interface CallerHeaderOptions {
  /** The edge's own per-request limit, ms. */
  readonly maxTimeoutMs: number;
  /** Makes a request id when the caller sent no idempotency key. */
  readonly newRequestId: () => string;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-[^\s]*)?$/;
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const PROJECT = /^[A-Za-z0-9._-]{1,64}$/;
const MAX_TRACESTATE_CHARS = 1024;

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  const text = Array.isArray(value) ? value.join(',') : value;
  return text === undefined ? undefined : text.trim();
}

/**
 * The W3C trace id of a valid `traceparent`, else undefined (an invalid one is dropped, as the
 * spec says, and the router starts a new trace).
 */
export function traceIdOf(traceparent: string | undefined): string | undefined {
  const match = traceparent ? TRACEPARENT.exec(traceparent) : null;
  if (!match) return undefined;
  const [, version = '', traceId = '', parentId = '', , rest] = match;
  if (version === 'ff' || (version === '00' && rest) || /^0+$/.test(traceId) || /^0+$/.test(parentId)) return undefined;
  return traceId;
}

/** The API key a caller presents: `Authorization: Bearer <key>` (OpenAI SDK), else `x-api-key` (Anthropic SDK). */
export function presentedKey(headers: IncomingHttpHeaders): string | undefined {
  const authorization = header(headers, 'authorization');
  if (authorization && /^bearer\s+/i.test(authorization)) return authorization.replace(/^bearer\s+/i, '').trim() || undefined;
  return header(headers, 'x-api-key') || undefined;
}

/**
 * Reads the caller's headers into the router call: the API key (forwarded, never checked here: the
 * router authenticates), `traceparent`/`tracestate` (not `baggage`: the router sets trusted
 * baggage itself), the idempotency key, attribution and routing hints. A malformed Switchyard
 * header is a 400 naming it.
 */
export function readCallerHeaders(headers: IncomingHttpHeaders, options: CallerHeaderOptions): CallerHeaders {
  const metadata: Record<string, string> = {};
  const key = presentedKey(headers);
  if (key) metadata['authorization'] = `Bearer ${key}`;
  const traceparent = header(headers, 'traceparent');
  const traceId = traceIdOf(traceparent);
  if (traceId && traceparent) {
    metadata['traceparent'] = traceparent;
    const tracestate = header(headers, 'tracestate');
    if (tracestate && tracestate.length <= MAX_TRACESTATE_CHARS) metadata['tracestate'] = tracestate;
  }

  const idempotencyKey = header(headers, 'idempotency-key') ?? header(headers, 'x-switchyard-request-id');
  if (idempotencyKey !== undefined && !REQUEST_ID.test(idempotencyKey)) {
    throw new EdgeRequestError('Invalid Idempotency-Key header: use 1-128 letters, digits, ".", "_", ":" or "-" (a UUID is recommended).', 'Idempotency-Key');
  }
  const project = header(headers, 'x-switchyard-project');
  if (project !== undefined && !PROJECT.test(project)) {
    throw new EdgeRequestError('Invalid x-switchyard-project header: use 1-64 letters, digits, ".", "_" or "-".', 'x-switchyard-project');
  }
  const tags = header(headers, 'x-switchyard-feature-tags');
  const featureTags = tags ? tags.split(',').map((tag) => tag.trim()).filter((tag) => tag !== '') : [];

  return {
    caller: { requestId: idempotencyKey ?? options.newRequestId(), project, featureTags, routing: routingHints(headers) },
    metadata,
    traceId,
    timeoutMs: timeoutOf(headers, options.maxTimeoutMs),
  };
}

function routingHints(headers: IncomingHttpHeaders): RoutingInit | undefined {
  const routing: RoutingInit = {};
  const quality = header(headers, 'x-switchyard-quality-target');
  if (quality !== undefined) {
    const value = Number(quality);
    if (quality === '' || !(value >= 0 && value <= 1)) throw new EdgeRequestError('Invalid x-switchyard-quality-target header: a number in [0, 1].', 'x-switchyard-quality-target');
    routing.qualityTarget = value;
  }
  const maxCost = header(headers, 'x-switchyard-max-cost-nanos-usd');
  if (maxCost !== undefined) {
    if (!/^\d{1,18}$/.test(maxCost)) throw new EdgeRequestError('Invalid x-switchyard-max-cost-nanos-usd header: a whole number of nano-USD.', 'x-switchyard-max-cost-nanos-usd');
    routing.maxCostNanosUsd = BigInt(maxCost);
  }
  const latency = header(headers, 'x-switchyard-latency-objective-ms');
  if (latency !== undefined) {
    if (!/^[1-9]\d{0,8}$/.test(latency)) throw new EdgeRequestError('Invalid x-switchyard-latency-objective-ms header: a positive whole number of ms.', 'x-switchyard-latency-objective-ms');
    const ms = Number(latency);
    routing.latencyObjective = { seconds: BigInt(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 };
  }
  const noFallback = header(headers, 'x-switchyard-disable-fallback');
  if (noFallback !== undefined) {
    if (noFallback !== 'true' && noFallback !== 'false') throw new EdgeRequestError('Invalid x-switchyard-disable-fallback header: true or false.', 'x-switchyard-disable-fallback');
    routing.disableFallback = noFallback === 'true';
  }
  return Object.keys(routing).length > 0 ? routing : undefined;
}

function timeoutOf(headers: IncomingHttpHeaders, maxTimeoutMs: number): number {
  let timeoutMs = maxTimeoutMs;
  const own = header(headers, 'x-switchyard-timeout-ms');
  if (own !== undefined) {
    if (!/^[1-9]\d{0,8}$/.test(own)) throw new EdgeRequestError('Invalid x-switchyard-timeout-ms header: a positive whole number of ms.', 'x-switchyard-timeout-ms');
    timeoutMs = Math.min(timeoutMs, Number(own));
  }
  // The official SDKs announce their own timeout (whole seconds); waiting longer is wasted work.
  const sdk = Number(header(headers, 'x-stainless-timeout'));
  if (Number.isInteger(sdk) && sdk > 0) timeoutMs = Math.min(timeoutMs, sdk * 1000);
  return timeoutMs;
}
