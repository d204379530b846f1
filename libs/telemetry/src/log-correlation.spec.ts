import { Writable } from 'node:stream';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import pino from 'pino';
import { startTelemetry, type Telemetry } from './bootstrap';
import { traceContextMixin } from './log-correlation';
import { withSpan } from './spans';

let telemetry: Telemetry;
const exporter = new InMemorySpanExporter();
beforeAll(() => {
  telemetry = startTelemetry({ serviceName: 'logs-test', env: {}, autoInstrument: false, spanExporter: exporter });
});
afterAll(() => telemetry.shutdown());

describe('traceContextMixin', () => {
  it('puts the active trace and span ids on pino lines, and nothing outside a span', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString('utf8')));
        done();
      },
    });
    const logger = pino({ mixin: traceContextMixin }, sink);
    logger.info('outside');
    await withSpan('call', {}, async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      logger.info('inside');
    });
    const span = exporter.getFinishedSpans().find((s) => s.name === 'call')!;
    expect(lines[0]).not.toHaveProperty('trace_id');
    expect(lines[1]).toMatchObject({ msg: 'inside', trace_id: span.spanContext().traceId, span_id: span.spanContext().spanId, trace_flags: '01' });
  });
});
