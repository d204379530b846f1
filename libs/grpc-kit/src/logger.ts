import { context, isSpanContextValid, trace } from '@opentelemetry/api';
import pino, { type Logger, type LoggerOptions } from 'pino';

/** Options for createLogger. */
export interface LoggerSettings {
  /** The service name, logged as `service`. */
  service: string;
  /** pino level; default `info`. */
  level?: string;
  /** Where to write; default stdout. Tests pass a stream to capture lines. */
  destination?: NodeJS.WritableStream;
}

/**
 * JSON logs (pino) for a service. Log lines carry `trace_id` where a request is in scope; never log
 * prompt or completion text, API keys or upstream credentials (the redact list is a safety net).
 */
export function createLogger(settings: LoggerSettings): Logger {
  const options: LoggerOptions = {
    level: settings.level ?? 'info',
    base: { service: settings.service },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Every line logged inside a traced request carries its trace id, so a log line leads to its trace.
    mixin: () => {
      const span = trace.getSpanContext(context.active());
      return span && isSpanContextValid(span) ? { trace_id: span.traceId, span_id: span.spanId } : {};
    },
    redact: { paths: ['apiKey', '*.apiKey', 'authorization', '*.authorization', 'secret', '*.secret'], censor: '[redacted]' },
  };
  return settings.destination ? pino(options, settings.destination as pino.DestinationStream) : pino(options);
}

export type { Logger };
