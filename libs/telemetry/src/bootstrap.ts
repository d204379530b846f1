// One bootstrap every service runs before anything else: the OpenTelemetry SDK for Node (tracer and
// meter providers, W3C propagation, instrumentation of outgoing gRPC calls, incoming HTTP requests and
// fetch; grpc-kit and provider-kit make the server and upstream spans themselves), exporters chosen from the
// standard OTEL_* variables, and a Prometheus scrape endpoint. It must run before @grpc/grpc-js is
// first required (the instrumentation patches it on load) and before any module creates metric
// instruments (the metrics API has no proxy: instruments made earlier stay no-ops forever).
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { hostname } from 'node:os';
import {
  context,
  diag,
  DiagLogLevel,
  metrics,
  propagation,
  trace,
  type DiagLogger,
  type Meter,
  type Tracer,
} from '@opentelemetry/api';
import { CompositePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPMetricExporter as OtlpGrpcMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { OTLPMetricExporter as OtlpJsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as OtlpProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { OTLPTraceExporter as OtlpGrpcTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as OtlpJsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  ConsoleMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  type IMetricReader,
  type PushMetricExporter,
} from '@opentelemetry/sdk-metrics';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  NodeTracerProvider,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-node';
import { AttributionSpanProcessor, PolicyBaggagePropagator, type IncomingBaggagePolicy } from './attribution';
import { setContentCapture } from './content-capture';
import { GrpcClientInstrumentation } from './grpc-client-instrumentation';
import { createSwitchyardMetrics, type SwitchyardMetrics } from './metrics';
import { StableRpcAttributesSpanProcessor } from './stable-rpc-attributes';
import { resolveTelemetrySettings, type DiagLevelName, type OtlpTarget, type TelemetrySettings, type TelemetrySettingsOptions } from './telemetry-settings';

/** Options for startTelemetry. */
export interface StartTelemetryOptions extends TelemetrySettingsOptions {
  /**
   * Inbound baggage: `drop` (default; the router and anything callers reach directly) or `trust`
   * (adapters, which only the router calls). Changeable later with `setIncomingBaggage`.
   */
  incomingBaggage?: IncomingBaggagePolicy;
  /** Patch gRPC clients, HTTP servers and undici (fetch) for automatic spans; default true. Unit tests turn it off. */
  autoInstrument?: boolean;
  /** Tests: export spans here (through a SimpleSpanProcessor) in addition to what the env selects. */
  spanExporter?: SpanExporter;
  /** Tests: extra metric readers (e.g. an in-memory one). */
  metricReaders?: IMetricReader[];
  /** Where the SDK's own warnings go; default JSON lines on stderr. */
  diagLogger?: DiagLogger;
}

/** The running telemetry of a process. */
export interface Telemetry {
  /** False when OTEL_SDK_DISABLED=true: everything below is a no-op. */
  readonly enabled: boolean;
  readonly settings: TelemetrySettings;
  /** The tracer for the service's own spans. */
  readonly tracer: Tracer;
  /** The meter for the service's own instruments. */
  readonly meter: Meter;
  /** Switchyard's instruments (GenAI, cost, fallbacks, circuit state, outbox depth) on `meter`. */
  readonly metrics: SwitchyardMetrics;
  /** Resolves to `http://host:port/metrics` once the scrape endpoint listens; undefined when none is configured. */
  readonly prometheusAddress: Promise<string | undefined>;
  /** Changes what inbound calls do with caller baggage (see StartTelemetryOptions.incomingBaggage). */
  setIncomingBaggage(policy: IncomingBaggagePolicy): void;
  /** Exports everything buffered now. */
  forceFlush(): Promise<void>;
  /** Flushes and stops exporters, the scrape endpoint and instrumentation; frees the globals. Safe to call twice. */
  shutdown(): Promise<void>;
}

let running: Telemetry | undefined;

/** The telemetry started in this process, if any. */
export function getTelemetry(): Telemetry | undefined {
  return running;
}

/**
 * Starts OpenTelemetry for this process. Call it once, first thing (see `@switchyard/telemetry/register`).
 * With no collector configured nothing is exported ("off"), unless OTEL_TRACES_EXPORTER=console;
 * spans are still made so trace ids reach logs and responses.
 */
export function startTelemetry(options: StartTelemetryOptions): Telemetry {
  if (running) throw new Error('telemetry is already started in this process; use getTelemetry() or the handle from @switchyard/telemetry/register');
  const settings = resolveTelemetrySettings(options);
  const diagLogger = options.diagLogger ?? jsonDiagLogger(settings.serviceName);
  diag.setLogger(diagLogger, { logLevel: diagLevel(settings.diagLevel), suppressOverrideMessage: true });
  for (const warning of settings.warnings) diag.warn(warning);

  if (settings.disabled) {
    const meter = metrics.getMeter('switchyard');
    running = {
      enabled: false,
      settings,
      tracer: trace.getTracer('switchyard'),
      meter,
      metrics: createSwitchyardMetrics(meter),
      prometheusAddress: Promise.resolve(undefined),
      setIncomingBaggage: () => undefined,
      forceFlush: () => Promise.resolve(),
      shutdown: async () => {
        running = undefined;
        diag.disable();
      },
    };
    return running;
  }

  setContentCapture(settings.captureContent);
  const resource = defaultResource().merge(
    resourceFromAttributes({
      'service.namespace': 'switchyard',
      'host.name': hostname(),
      'process.pid': process.pid,
      'process.runtime.name': 'nodejs',
      'process.runtime.version': process.versions.node,
      ...settings.resourceAttributes,
      'service.name': settings.serviceName,
      ...(settings.serviceVersion ? { 'service.version': settings.serviceVersion } : {}),
      'service.instance.id': settings.resourceAttributes['service.instance.id'] ?? randomUUID(),
    }),
  );

  // Metrics first: instrumentations (and every module loaded later) take their meter from the global provider.
  const readers: IMetricReader[] = [...(options.metricReaders ?? [])];
  const metricExporters: PushMetricExporter[] = [];
  if (settings.metrics.otlp) metricExporters.push(createOtlpMetricExporter(settings.metrics.otlp));
  if (settings.metrics.console) metricExporters.push(new ConsoleMetricExporter());
  for (const exporter of metricExporters) {
    readers.push(
      new PeriodicExportingMetricReader({
        exporter,
        exportIntervalMillis: settings.metrics.exportIntervalMs,
        exportTimeoutMillis: Math.min(settings.metrics.exportTimeoutMs, settings.metrics.exportIntervalMs),
      }),
    );
  }
  const prometheus = settings.metrics.prometheus ? new PrometheusExporter({ preventServerStart: true }) : undefined;
  if (prometheus) readers.push(prometheus);
  const meterProvider = new MeterProvider({ resource, readers });
  metrics.setGlobalMeterProvider(meterProvider);

  let metricsServer: Server | undefined;
  let metricsPort = -1;
  const scrape = settings.metrics.prometheus;
  const prometheusAddress = prometheus && scrape
    ? new Promise<string>((resolve, reject) => {
        const server = createServer((request, response) => {
          if (request.method === 'GET' && (request.url ?? '').split('?')[0] === '/metrics') prometheus.getMetricsRequestHandler(request, response);
          else response.writeHead(404, { 'content-type': 'text/plain' }).end('only GET /metrics is served here\n');
        });
        metricsServer = server;
        server.once('error', reject);
        server.listen(scrape.port, scrape.host, () => {
          const address = server.address();
          metricsPort = typeof address === 'object' && address ? address.port : scrape.port;
          // A wildcard bind is reachable on loopback; report that, since "0.0.0.0" is not an address to fetch.
          const host = scrape.host === '0.0.0.0' ? '127.0.0.1' : scrape.host;
          resolve(`http://${host.includes(':') ? `[${host}]` : host}:${metricsPort}/metrics`);
        });
        server.unref();
      })
    : Promise.resolve(undefined);
  // A port already taken must not crash the process through an unhandled rejection; it is reported instead.
  prometheusAddress.catch((error: unknown) => diag.error(`Prometheus endpoint could not listen: ${String(error)}`));

  const baggagePropagator = new PolicyBaggagePropagator(options.incomingBaggage ?? 'drop');
  const instrumentations =
    options.autoInstrument === false
      ? []
      : [
          // Outgoing calls only: @switchyard/grpc-kit makes the server spans (see grpc-client-instrumentation.ts).
          new GrpcClientInstrumentation(),
          new HttpInstrumentation({
            // Incoming requests only (the HTTP edge): the one outgoing node:http request on a request path,
            // an adapter's call to its provider, is traced by provider-kit's upstream fetch (http-client-span.ts).
            disableOutgoingRequestInstrumentation: true,
            // Scrapes of the metrics endpoint are not part of any request.
            ignoreIncomingRequestHook: (request: IncomingMessage) => request.socket?.localPort === metricsPort,
          }),
          // fetch (undici): nothing on a request path uses it; it costs nothing until something does.
          new UndiciInstrumentation(),
        ];

  const spanProcessors: SpanProcessor[] = [new AttributionSpanProcessor(), new StableRpcAttributesSpanProcessor()];
  if (settings.traces.otlp) {
    const batch = settings.traces.batchDelayMs !== undefined ? { scheduledDelayMillis: settings.traces.batchDelayMs } : {};
    spanProcessors.push(new BatchSpanProcessor(createOtlpTraceExporter(settings.traces.otlp), batch));
  }
  if (settings.traces.console) spanProcessors.push(new SimpleSpanProcessor(new ConsoleSpanExporter()));
  if (options.spanExporter) spanProcessors.push(new SimpleSpanProcessor(options.spanExporter));
  const tracerProvider = new NodeTracerProvider({ resource, sampler: createSampler(settings.sampler), spanProcessors });
  tracerProvider.register({ propagator: new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), baggagePropagator] }) });
  for (const instrumentation of instrumentations) {
    instrumentation.setTracerProvider(tracerProvider);
    instrumentation.setMeterProvider(meterProvider);
  }

  const meter = metrics.getMeter('switchyard');
  let stopped: Promise<void> | undefined;
  const handle: Telemetry = {
    enabled: true,
    settings,
    tracer: trace.getTracer('switchyard'),
    meter,
    metrics: createSwitchyardMetrics(meter),
    prometheusAddress: prometheusAddress.catch(() => undefined),
    setIncomingBaggage: (policy) => baggagePropagator.setPolicy(policy),
    forceFlush: async () => {
      await Promise.all([tracerProvider.forceFlush(), meterProvider.forceFlush()]);
    },
    shutdown: () =>
      (stopped ??= (async () => {
        for (const instrumentation of instrumentations) instrumentation.disable();
        const results = await Promise.allSettled([
          tracerProvider.shutdown(),
          meterProvider.shutdown(),
          new Promise<void>((resolve) => (metricsServer?.listening ? metricsServer.close(() => resolve()) : resolve())),
        ]);
        for (const result of results) if (result.status === 'rejected') diag.warn(`telemetry shutdown: ${String(result.reason)}`);
        trace.disable();
        metrics.disable();
        propagation.disable();
        context.disable();
        setContentCapture(false);
        diag.disable();
        running = undefined;
      })()),
  };
  running = handle;
  return handle;
}

function createOtlpTraceExporter(target: OtlpTarget): SpanExporter {
  switch (target.protocol) {
    case 'grpc':
      return new OtlpGrpcTraceExporter({ url: target.url });
    case 'http/json':
      return new OtlpJsonTraceExporter({ url: target.url });
    default:
      return new OtlpProtoTraceExporter({ url: target.url });
  }
}

function createOtlpMetricExporter(target: OtlpTarget): PushMetricExporter {
  switch (target.protocol) {
    case 'grpc':
      return new OtlpGrpcMetricExporter({ url: target.url });
    case 'http/json':
      return new OtlpJsonMetricExporter({ url: target.url });
    default:
      return new OtlpProtoMetricExporter({ url: target.url });
  }
}

function createSampler(sampler: TelemetrySettings['sampler']): Sampler {
  switch (sampler.kind) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(sampler.ratio);
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(sampler.ratio) });
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

function diagLevel(name: DiagLevelName): DiagLogLevel {
  const levels: Record<DiagLevelName, DiagLogLevel> = {
    none: DiagLogLevel.NONE,
    error: DiagLogLevel.ERROR,
    warn: DiagLogLevel.WARN,
    info: DiagLogLevel.INFO,
    debug: DiagLogLevel.DEBUG,
    verbose: DiagLogLevel.VERBOSE,
    all: DiagLogLevel.ALL,
  };
  return levels[name];
}

// The SDK's own diagnostics as JSON lines on stderr, so they sit with the service's pino logs.
function jsonDiagLogger(service: string): DiagLogger {
  const write =
    (level: string) =>
    (message: string, ...args: unknown[]) => {
      const detail = args.length ? ` ${args.map((a) => (a instanceof Error ? a.message : typeof a === 'string' ? a : safeJson(a))).join(' ')}` : '';
      process.stderr.write(`${JSON.stringify({ level, time: new Date().toISOString(), service, msg: `opentelemetry: ${message}${detail}` })}\n`);
    };
  return { error: write('error'), warn: write('warn'), info: write('info'), debug: write('debug'), verbose: write('trace') };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
