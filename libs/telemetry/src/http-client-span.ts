// The CLIENT span of an HTTP request Switchyard sends itself (an adapter's call to its provider,
// through libs/provider-kit's upstream fetch), made by hand instead of by instrumentation-http's
// patch of node:http: that patch binds the request and the response emitters to the context, builds
// its attributes from the request options and records an extra duration histogram on every request,
// 0.23 ms of an adapter's CPU per provider call against about 10 µs for this span (docs/benchmarks.md,
// "Tracing overhead").
import { context, SpanKind, SpanStatusCode, trace, type Span, type TextMapSetter } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { describeErrorType } from './error-type';
import { ERROR_TYPE, HTTP_REQUEST_METHOD, HTTP_RESPONSE_STATUS_CODE, SERVER_ADDRESS, SERVER_PORT, URL_FULL } from './gen-ai-attributes';
import { recordSpanError, switchyardTracer } from './spans';

/** An outgoing request's span, from the request being sent to its response body being read. */
export interface HttpClientSpan {
  /**
   * Adds the span's `traceparent` (and `tracestate`) to the request headers. Baggage is not sent:
   * the upstream is a third party, and the team and project it carries are nobody else's business.
   */
  inject(headers: Record<string, string>): void;
  /** The status line arrived; a status ≥ 400 marks the span failed, with `error.type` = the status code. */
  setResponseStatus(status: number): void;
  /** Ends the span (only the first call counts); `error` when the request or the body failed. */
  end(error?: unknown): void;
}

const traceContext = new W3CTraceContextPropagator();
const headerSetter: TextMapSetter<Record<string, string>> = {
  set: (headers, key, value) => {
    headers[key] = value;
  },
};

/**
 * Starts the CLIENT span of a request to `url`, a child of the active span, named by the method as
 * the HTTP conventions say (`POST`), with the stable attributes: `http.request.method`,
 * `server.address`, `server.port` and `url.full` (without the query string, where some APIs put keys).
 */
export function startHttpClientSpan(method: string, url: URL): HttpClientSpan {
  const parent = context.active();
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  const span: Span = switchyardTracer().startSpan(
    method,
    {
      kind: SpanKind.CLIENT,
      attributes: { [HTTP_REQUEST_METHOD]: method, [SERVER_ADDRESS]: url.hostname, [SERVER_PORT]: port, [URL_FULL]: url.origin + url.pathname },
    },
    parent,
  );
  let ended = false;
  return {
    inject(headers) {
      traceContext.inject(trace.setSpan(parent, span), headers, headerSetter);
    },
    setResponseStatus(status) {
      span.setAttribute(HTTP_RESPONSE_STATUS_CODE, status);
      if (status < 400) return;
      span.setAttribute(ERROR_TYPE, String(status));
      span.setStatus({ code: SpanStatusCode.ERROR });
    },
    end(error) {
      if (ended) return;
      ended = true;
      if (error !== undefined) recordSpanError(span, error, networkErrorType(error));
      span.end();
    },
  };
}

// A socket error's code (`ECONNRESET`, `ECONNREFUSED`) says more than its class, which is plain `Error`.
function networkErrorType(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code ? code : describeErrorType(error);
}
