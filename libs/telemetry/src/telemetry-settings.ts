// Reading the standard OTEL_* environment variables into one plain settings object. Pure: the env
// record is an argument, so main.ts (or register.ts) is the only place that hands over process.env.

/** OTLP wire protocols (OTEL_EXPORTER_OTLP_PROTOCOL). */
export type OtlpProtocol = 'grpc' | 'http/protobuf' | 'http/json';

/** Where and how one signal is exported over OTLP. */
export interface OtlpTarget {
  protocol: OtlpProtocol;
  /** Full URL: for HTTP including the `/v1/<signal>` path; for gRPC `http://host:port`. */
  url: string;
}

/** OTEL_TRACES_SAMPLER values the SDK supports here. */
export type SamplerKind =
  | 'always_on'
  | 'always_off'
  | 'traceidratio'
  | 'parentbased_always_on'
  | 'parentbased_always_off'
  | 'parentbased_traceidratio';

/** OTEL_LOG_LEVEL values. */
export type DiagLevelName = 'none' | 'error' | 'warn' | 'info' | 'debug' | 'verbose' | 'all';

/** Everything startTelemetry needs to know, resolved from options and environment. */
export interface TelemetrySettings {
  /** OTEL_SDK_DISABLED=true: no SDK at all (no spans, no metrics, no endpoint). */
  disabled: boolean;
  serviceName: string;
  serviceVersion?: string;
  /** OTEL_RESOURCE_ATTRIBUTES, decoded (service.name removed: it is in serviceName). */
  resourceAttributes: Record<string, string>;
  traces: { otlp?: OtlpTarget; console: boolean; batchDelayMs?: number };
  metrics: {
    otlp?: OtlpTarget;
    console: boolean;
    exportIntervalMs: number;
    exportTimeoutMs: number;
    /** The Prometheus scrape endpoint to serve; port 0 picks a free port. */
    prometheus?: { host: string; port: number };
  };
  sampler: { kind: SamplerKind; ratio: number };
  /** Record prompt and completion text on spans (never by default). */
  captureContent: boolean;
  diagLevel: DiagLevelName;
  /** Values that were ignored, with why; startTelemetry reports them through the diag logger. */
  warnings: string[];
}

/** Options for resolveTelemetrySettings (a subset of StartTelemetryOptions). */
export interface TelemetrySettingsOptions {
  /** The service's own name; OTEL_SERVICE_NAME or service.name in OTEL_RESOURCE_ATTRIBUTES win over it. */
  serviceName: string;
  serviceVersion?: string;
  /** The environment (main.ts passes process.env). */
  env: Record<string, string | undefined>;
  /** Serve Prometheus on this port (0 = a free port); OTEL_EXPORTER_PROMETHEUS_PORT overrides. Unset: only when OTEL_METRICS_EXPORTER lists `prometheus`. */
  prometheusPort?: number;
  /** Host for the Prometheus endpoint; default OTEL_EXPORTER_PROMETHEUS_HOST, else `0.0.0.0`. */
  prometheusHost?: string;
  /** Record prompt/completion text; default OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT, else false. */
  captureContent?: boolean;
}

const DEFAULT_HTTP_ENDPOINT = 'http://localhost:4318';
const DEFAULT_GRPC_ENDPOINT = 'http://localhost:4317';
const SAMPLERS: readonly SamplerKind[] = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
];
const DIAG_LEVELS: readonly DiagLevelName[] = ['none', 'error', 'warn', 'info', 'debug', 'verbose', 'all'];

/** Resolves the telemetry settings from the service's options and the standard OTEL_* variables. */
export function resolveTelemetrySettings(options: TelemetrySettingsOptions): TelemetrySettings {
  const env = options.env;
  const warnings: string[] = [];
  const get = (name: string) => {
    const value = env[name]?.trim();
    return value ? value : undefined;
  };

  const resourceAttributes = parseResourceAttributes(get('OTEL_RESOURCE_ATTRIBUTES') ?? '', warnings);
  const serviceName = get('OTEL_SERVICE_NAME') ?? resourceAttributes['service.name'] ?? options.serviceName;
  delete resourceAttributes['service.name'];
  const serviceVersion = resourceAttributes['service.version'] ?? options.serviceVersion;
  delete resourceAttributes['service.version'];

  const traceExporters = exporterList(get('OTEL_TRACES_EXPORTER'), ['otlp', 'console', 'none'], 'OTEL_TRACES_EXPORTER', warnings);
  const metricExporters = exporterList(get('OTEL_METRICS_EXPORTER'), ['otlp', 'console', 'prometheus', 'none'], 'OTEL_METRICS_EXPORTER', warnings);

  const traceTarget = otlpTarget(get, 'TRACES', 'traces', warnings);
  const metricTarget = otlpTarget(get, 'METRICS', 'metrics', warnings);
  // With no exporter named, export over OTLP only when a collector address is configured: "off" is the default.
  const tracesOtlp = traceExporters ? traceExporters.includes('otlp') : traceTarget.configured;
  const metricsOtlp = metricExporters ? metricExporters.includes('otlp') : metricTarget.configured;

  let prometheus: { host: string; port: number } | undefined;
  const prometheusListed = metricExporters?.includes('prometheus') ?? false;
  if (prometheusListed || options.prometheusPort !== undefined) {
    const envPort = integer(get('OTEL_EXPORTER_PROMETHEUS_PORT'), 'OTEL_EXPORTER_PROMETHEUS_PORT', 0, 65535, warnings);
    prometheus = {
      host: get('OTEL_EXPORTER_PROMETHEUS_HOST') ?? options.prometheusHost ?? '0.0.0.0',
      port: envPort ?? options.prometheusPort ?? 9464,
    };
  }

  const samplerName = (get('OTEL_TRACES_SAMPLER') ?? 'parentbased_always_on').toLowerCase();
  let samplerKind: SamplerKind = 'parentbased_always_on';
  if ((SAMPLERS as readonly string[]).includes(samplerName)) samplerKind = samplerName as SamplerKind;
  else warnings.push(`OTEL_TRACES_SAMPLER=${samplerName} is not supported; using parentbased_always_on`);
  let ratio = 1;
  const ratioText = get('OTEL_TRACES_SAMPLER_ARG');
  if (ratioText !== undefined && samplerKind.endsWith('traceidratio')) {
    const parsed = Number(ratioText);
    if (Number.isFinite(parsed) && parsed >= 0 && parsed <= 1) ratio = parsed;
    else warnings.push(`OTEL_TRACES_SAMPLER_ARG=${ratioText} is not a ratio in [0, 1]; using 1`);
  }

  const diagText = (get('OTEL_LOG_LEVEL') ?? 'warn').toLowerCase();
  const diagLevel = (DIAG_LEVELS as readonly string[]).includes(diagText) ? (diagText as DiagLevelName) : 'warn';

  const contentFlag = get('OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT')?.toLowerCase();

  return {
    disabled: get('OTEL_SDK_DISABLED')?.toLowerCase() === 'true',
    serviceName,
    serviceVersion,
    resourceAttributes,
    traces: {
      otlp: tracesOtlp ? traceTarget.target : undefined,
      console: traceExporters?.includes('console') ?? false,
      batchDelayMs: integer(get('OTEL_BSP_SCHEDULE_DELAY'), 'OTEL_BSP_SCHEDULE_DELAY', 0, 3_600_000, warnings),
    },
    metrics: {
      otlp: metricsOtlp ? metricTarget.target : undefined,
      console: metricExporters?.includes('console') ?? false,
      exportIntervalMs: integer(get('OTEL_METRIC_EXPORT_INTERVAL'), 'OTEL_METRIC_EXPORT_INTERVAL', 1, 86_400_000, warnings) ?? 60_000,
      exportTimeoutMs: integer(get('OTEL_METRIC_EXPORT_TIMEOUT'), 'OTEL_METRIC_EXPORT_TIMEOUT', 1, 3_600_000, warnings) ?? 30_000,
      prometheus,
    },
    sampler: { kind: samplerKind, ratio },
    captureContent: options.captureContent ?? contentFlag === 'true',
    diagLevel,
    warnings,
  };
}

/**
 * Parses OTEL_RESOURCE_ATTRIBUTES (`key=value,key2=value2`, values percent-encoded). Malformed
 * entries are skipped with a warning rather than failing the service.
 */
export function parseResourceAttributes(text: string, warnings: string[] = []): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const entry of text.split(',')) {
    if (!entry.trim()) continue;
    const eq = entry.indexOf('=');
    const key = eq > 0 ? entry.slice(0, eq).trim() : '';
    if (!key) {
      warnings.push(`OTEL_RESOURCE_ATTRIBUTES entry "${entry}" has no key=value; ignored`);
      continue;
    }
    try {
      attributes[key] = decodeURIComponent(entry.slice(eq + 1).trim());
    } catch {
      warnings.push(`OTEL_RESOURCE_ATTRIBUTES value of ${key} is not valid percent-encoding; ignored`);
    }
  }
  return attributes;
}

function exporterList(text: string | undefined, known: string[], name: string, warnings: string[]): string[] | undefined {
  if (text === undefined) return undefined;
  const list = [...new Set(text.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean))];
  for (const value of list) if (!known.includes(value)) warnings.push(`${name}=${value} is not supported (use ${known.join(', ')}); ignored`);
  return list.includes('none') ? [] : list.filter((value) => known.includes(value));
}

function otlpTarget(get: (name: string) => string | undefined, signal: 'TRACES' | 'METRICS', path: string, warnings: string[]) {
  const protocolText = get(`OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`) ?? get('OTEL_EXPORTER_OTLP_PROTOCOL') ?? 'http/protobuf';
  let protocol: OtlpProtocol = 'http/protobuf';
  if (protocolText === 'grpc' || protocolText === 'http/protobuf' || protocolText === 'http/json') protocol = protocolText;
  else warnings.push(`OTLP protocol "${protocolText}" is not supported (grpc, http/protobuf, http/json); using http/protobuf`);
  const signalEndpoint = get(`OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`);
  const endpoint = get('OTEL_EXPORTER_OTLP_ENDPOINT');
  let url: string;
  // Per the OTLP exporter spec: the signal-specific endpoint is used as is; the general one gets /v1/<signal> over HTTP.
  if (signalEndpoint) url = signalEndpoint;
  else if (protocol === 'grpc') url = endpoint ?? DEFAULT_GRPC_ENDPOINT;
  else url = `${(endpoint ?? DEFAULT_HTTP_ENDPOINT).replace(/\/+$/, '')}/v1/${path}`;
  return { configured: Boolean(signalEndpoint ?? endpoint), target: { protocol, url } satisfies OtlpTarget };
}

function integer(text: string | undefined, name: string, min: number, max: number, warnings: string[]): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (Number.isInteger(value) && value >= min && value <= max) return value;
  warnings.push(`${name}=${text} is not an integer in [${min}, ${max}]; ignored`);
  return undefined;
}
