// An OTLP receiver for tests, on loopback: it accepts what the real exporters send over
// http/protobuf, http/json (POST /v1/traces, /v1/metrics, /v1/logs) and, optionally, gRPC, decodes
// traces and metrics, and lets a test wait — bounded in time — for what it expects.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import {
  decodeMetricsRequestProtobuf,
  decodeTraceRequestJson,
  decodeTraceRequestProtobuf,
  type ReceivedMetric,
  type ReceivedSpan,
} from './otlp-decode';

export type { ReceivedSpan, ReceivedMetric, ReceivedDataPoint, OtlpValue, SpanKindName, StatusCodeName } from './otlp-decode';

/** Options for startOtlpReceiver. */
export interface OtlpReceiverOptions {
  /** Also serve OTLP/gRPC (TraceService and MetricsService Export) on another loopback port. */
  grpc?: boolean;
  /** Decode what arrives (default true); false only counts exports, as a cheap sink for benchmarks. */
  decode?: boolean;
}

/** One export request as received. */
export interface ReceivedExport {
  signal: 'traces' | 'metrics' | 'logs';
  protocol: 'http/protobuf' | 'http/json' | 'grpc';
  bytes: number;
}

/** A running receiver. */
export interface OtlpReceiver {
  /** `http://127.0.0.1:PORT`: use as OTEL_EXPORTER_OTLP_ENDPOINT for HTTP protocols. */
  readonly url: string;
  /** `http://127.0.0.1:PORT` of the gRPC listener, when started with `grpc: true`. */
  readonly grpcUrl?: string;
  /** Every span received so far, in arrival order. */
  readonly spans: ReceivedSpan[];
  /** Every metric received so far (one entry per metric per export). */
  readonly metrics: ReceivedMetric[];
  /** Every export request, for checking which protocol was used. */
  readonly exports: ReceivedExport[];
  /** Resolves with all spans once `predicate(spans)` holds; rejects after timeoutMs (default 10 s). */
  waitForSpans(predicate: (spans: ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<ReceivedSpan[]>;
  /** Resolves with all metrics once `predicate(metrics)` holds; rejects after timeoutMs (default 10 s). */
  waitForMetrics(predicate: (metrics: ReceivedMetric[]) => boolean, timeoutMs?: number): Promise<ReceivedMetric[]>;
  /** Forgets what was received. */
  clear(): void;
  close(): Promise<void>;
}

const TRACE_SERVICE_EXPORT = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';
const METRICS_SERVICE_EXPORT = '/opentelemetry.proto.collector.metrics.v1.MetricsService/Export';

/** Starts a receiver on 127.0.0.1, port 0. */
export async function startOtlpReceiver(options: OtlpReceiverOptions = {}): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const metrics: ReceivedMetric[] = [];
  const exports: ReceivedExport[] = [];
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const waiter of [...waiters]) waiter();
  };

  const server: Server = createServer((request, response) => {
    readBody(request).then(
      (body) => {
        const path = (request.url ?? '').split('?')[0];
        const json = (request.headers['content-type'] ?? '').includes('json');
        const signal = path === '/v1/traces' ? 'traces' : path === '/v1/metrics' ? 'metrics' : path === '/v1/logs' ? 'logs' : undefined;
        if (request.method !== 'POST' || !signal) {
          response.writeHead(404).end();
          return;
        }
        const decode = options.decode ?? true;
        try {
          if (decode && signal === 'traces') spans.push(...(json ? decodeTraceRequestJson(body.toString('utf8')) : decodeTraceRequestProtobuf(body)));
          if (decode && signal === 'metrics' && !json) metrics.push(...decodeMetricsRequestProtobuf(body));
        } catch (error) {
          response.writeHead(400, { 'content-type': 'text/plain' }).end(`cannot decode: ${String(error)}`);
          return;
        }
        exports.push({ signal, protocol: json ? 'http/json' : 'http/protobuf', bytes: body.length });
        // An empty Export*ServiceResponse means full success in either encoding.
        if (json) response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        else response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
        notify();
      },
      () => response.writeHead(400).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  let grpcServer: grpc.Server | undefined;
  let grpcUrl: string | undefined;
  if (options.grpc) {
    const grpcListener = new grpc.Server();
    grpcServer = grpcListener;
    const identity = (bytes: Buffer) => bytes;
    const exportMethod = (path: string) => ({
      path,
      requestStream: false,
      responseStream: false,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
    });
    const handler = (signal: 'traces' | 'metrics') => (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
      try {
        if (signal === 'traces') spans.push(...decodeTraceRequestProtobuf(call.request));
        else metrics.push(...decodeMetricsRequestProtobuf(call.request));
        exports.push({ signal, protocol: 'grpc', bytes: call.request.length });
        callback(null, Buffer.alloc(0));
        notify();
      } catch (error) {
        callback({ code: grpc.status.INVALID_ARGUMENT, details: `cannot decode: ${String(error)}` });
      }
    };
    grpcListener.addService({ export: exportMethod(TRACE_SERVICE_EXPORT) } as grpc.ServiceDefinition, { export: handler('traces') });
    grpcListener.addService({ export: exportMethod(METRICS_SERVICE_EXPORT) } as grpc.ServiceDefinition, { export: handler('metrics') });
    const port = await new Promise<number>((resolve, reject) =>
      grpcListener.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
    );
    grpcUrl = `http://127.0.0.1:${port}`;
  }

  const waitFor = <T>(read: () => T[], predicate: (items: T[]) => boolean, timeoutMs: number, what: string) =>
    new Promise<T[]>((resolve, reject) => {
      const check = () => {
        if (!predicate(read())) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve(read());
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; received ${read().length} so far`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });

  return {
    url,
    grpcUrl,
    spans,
    metrics,
    exports,
    waitForSpans: (predicate, timeoutMs = 10_000) => waitFor(() => spans, predicate, timeoutMs, 'spans'),
    waitForMetrics: (predicate, timeoutMs = 10_000) => waitFor(() => metrics, predicate, timeoutMs, 'metrics'),
    clear: () => {
      spans.length = 0;
      metrics.length = 0;
      exports.length = 0;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (grpcServer) grpcServer.forceShutdown();
    },
  };
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  return request.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
}
