// The SERVER span of every call the harness serves. The harness wraps each call anyway (auth, error
// mapping, the duration metric), so it starts the span there too, with the stable RPC names from the
// outset: the telemetry bootstrap keeps instrumentation-grpc for outgoing calls only, whose server
// patch cost a second context scope, an emitter bound to the context and a second attribute pass per
// call (docs/benchmarks.md, "Tracing overhead"). Without a telemetry SDK these are no-op spans.
import type * as grpc from '@grpc/grpc-js';
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span, type TextMapGetter } from '@opentelemetry/api';

const metadataGetter: TextMapGetter<grpc.Metadata> = {
  get: (metadata, key) => {
    const values = metadata.get(key);
    return values.length > 0 ? values.map(String) : undefined;
  },
  keys: (metadata) => Object.keys(metadata.getMap()),
};

/** A call's span and the context its handler runs in. */
export interface CallSpan {
  readonly span: Span;
  readonly context: Context;
}

/**
 * Starts the span of a call to `method` (`package.Service/Method`, also its name), continuing the
 * caller's trace from the W3C `traceparent` (and, where the propagator trusts it, `baggage`) metadata.
 */
export function startCallSpan(method: string, metadata: grpc.Metadata): CallSpan {
  const parent = propagation.extract(ROOT_CONTEXT, metadata, metadataGetter);
  const span = trace
    .getTracer('switchyard.grpc-kit')
    .startSpan(method, { kind: SpanKind.SERVER, attributes: { 'rpc.system.name': 'grpc', 'rpc.method': method } }, parent);
  return { span, context: trace.setSpan(parent, span) };
}

/** Runs `fn` with the call's span active, so the handler's spans and outgoing calls are its children. */
export function inCallSpan<T>(callSpan: CallSpan, fn: () => T): T {
  return context.with(callSpan.context, fn);
}

/**
 * Ends the span with the call's status: `rpc.status_code` as a name; any other code than OK marks
 * it ERROR with `error.type` = that name and the status message.
 */
export function endCallSpan(span: Span, codeName: string, message?: string): void {
  span.setAttribute('rpc.status_code', codeName);
  if (codeName !== 'OK') {
    span.setAttribute('error.type', codeName);
    span.setStatus({ code: SpanStatusCode.ERROR, message });
  }
  span.end();
}
