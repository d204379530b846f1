// Trace ids in log lines, so a log line leads to its trace (the JS metrics SDK does not export
// exemplars, so logs are the bridge from a symptom to a trace). Depends only on @opentelemetry/api,
// so grpc-kit's logger can import it without loading the SDK.
import { context, isSpanContextValid, trace, TraceFlags } from '@opentelemetry/api';

/** The fields a log line gets inside a traced call. */
export interface TraceLogFields {
  trace_id?: string;
  span_id?: string;
  trace_flags?: string;
}

/**
 * A pino `mixin`: `{ trace_id, span_id, trace_flags }` of the active span, or `{}` outside one.
 * Use as `pino({ mixin: traceContextMixin })`.
 */
export function traceContextMixin(): TraceLogFields {
  const spanContext = trace.getSpanContext(context.active());
  if (!spanContext || !isSpanContextValid(spanContext)) return {};
  return {
    trace_id: spanContext.traceId,
    span_id: spanContext.spanId,
    trace_flags: (spanContext.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED ? '01' : '00',
  };
}
