import type { DescMethod, DescService } from '@bufbuild/protobuf';
import { create } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { metrics, type Span } from '@opentelemetry/api';
import { grpcServiceDefinition, MalformedRequest, statusCodeName, type Principal, type ServerCallContext } from '@switchyard/sdk';
import { HealthImplementation } from 'grpc-health-check';
import type { Logger } from 'pino';
import { endCallSpan, inCallSpan, startCallSpan } from './call-span';
import { createLogger } from './logger';
import { addReflection } from './reflection';
import { ServiceFailure, toStatusObject, unavailable } from './service-failure';

/** A service and its typed implementation (e.g. `ProviderServiceImplementation`). */
export interface ServiceBinding {
  service: DescService;
  implementation: object;
}

/** Options for startGrpcServer. */
export interface GrpcServerOptions {
  /** Service name for logs and health, e.g. `router`. */
  name: string;
  /** `host:port`; port 0 picks a free one. */
  address: string;
  /** ErrorInfo.domain of this service's errors, e.g. `router.switchyard.dev`. */
  errorDomain: string;
  /** The services to serve. */
  services: ServiceBinding[];
  /** Authenticates every call not in publicMethods; throw a ServiceFailure to refuse. */
  authenticate?: (context: ServerCallContext) => Principal | undefined | Promise<Principal | undefined>;
  /** Methods served without authentication, as `package.Service/Method`. */
  publicMethods?: string[];
  /** JSON logger; default a pino logger on stdout. */
  logger?: Logger;
  /** Largest request or response message, bytes; default 16 MiB. */
  maxMessageBytes?: number;
  /** How long shutdown waits for in-flight calls before cancelling them, ms; default 10 s. */
  drainGraceMs?: number;
  /** Server credentials; default insecure. Pass `grpc.ServerCredentials.createSsl(ca, [...], true)` for mTLS. */
  credentials?: grpc.ServerCredentials;
}

/** A started server. */
export interface RunningGrpcServer {
  /** `host:port` actually bound. */
  readonly address: string;
  readonly port: number;
  /** Calls currently being served. */
  inFlight(): number;
  /** Flips health for every service (and the overall "" entry). */
  setServing(serving: boolean): void;
  /**
   * Graceful shutdown: health NOT_SERVING → refuse new calls → wait for in-flight calls up to the
   * grace period → cancel the rest → close. Safe to call twice.
   */
  shutdown(graceMs?: number): Promise<void>;
}

const callDuration = metrics.getMeter('switchyard.grpc-kit').createHistogram('rpc.server.call.duration', {
  description: 'Duration of gRPC server calls.',
  unit: 's',
  advice: { explicitBucketBoundaries: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] },
});

interface CallTracker {
  count: number;
  draining: boolean;
  controllers: Set<AbortController>;
  idle: Array<() => void>;
}

function createContext(call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>, method: DescMethod, tracker: CallTracker) {
  const controller = new AbortController();
  const deadlineValue = call.getDeadline();
  const deadline = deadlineValue instanceof Date ? deadlineValue : Number.isFinite(deadlineValue) ? new Date(deadlineValue) : undefined;
  // Built on first use: most calls never set a response header.
  let headers: grpc.Metadata | undefined;
  let headersSent = false;
  let finished = false;
  // grpc-js emits 'cancelled' when the stream closes, also after every completed call: only a call
  // still running was cancelled (checking first saves an Error and an abort dispatch per call).
  call.on('cancelled', () => {
    if (!finished) controller.abort(new ServiceFailure(grpc.status.CANCELLED, 'call cancelled by the client or its deadline'));
  });
  const context: ServerCallContext & { flushHeaders(): void; finish(): void } = {
    signal: controller.signal,
    deadline,
    remainingMs: () => (deadline ? deadline.getTime() - Date.now() : Infinity),
    metadata: call.metadata,
    method: method.parent.typeName + '/' + method.name,
    // Resolved on first read: formatting the peer address costs more than most handlers need.
    get peer() {
      return call.getPeer();
    },
    setHeader: (key, value) => (headers ??= new grpc.Metadata()).set(key, value),
    flushHeaders: () => {
      if (headersSent) return;
      headersSent = true;
      if (headers && Object.keys(headers.getMap()).length > 0) call.sendMetadata(headers);
    },
    finish: () => {
      finished = true;
    },
  };
  tracker.controllers.add(controller);
  return { context, controller };
}

/** Starts a gRPC server with health, reflection, auth, error mapping, logging and graceful drain. */
export async function startGrpcServer(options: GrpcServerOptions): Promise<RunningGrpcServer> {
  const logger = options.logger ?? createLogger({ service: options.name });
  const maxBytes = options.maxMessageBytes ?? 16 * 1024 * 1024;
  const server = new grpc.Server({
    'grpc.max_receive_message_length': maxBytes,
    'grpc.max_send_message_length': maxBytes,
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_timeout_ms': 10_000,
    'grpc.keepalive_permit_without_calls': 1,
    'grpc-node.max_session_memory': 64,
  });
  const publicMethods = new Set(options.publicMethods ?? []);
  // A debug line per call is only built when someone reads it (level changes need a restart).
  const debugEnabled = logger.isLevelEnabled('debug');
  const tracker: CallTracker = { count: 0, draining: false, controllers: new Set(), idle: [] };

  const begin = () => {
    tracker.count++;
  };
  const finish = (context: { finish(): void }, controller: AbortController) => {
    context.finish();
    tracker.controllers.delete(controller);
    tracker.count--;
    if (tracker.count === 0) for (const resolve of tracker.idle.splice(0)) resolve();
  };

  const admit = async (context: ServerCallContext) => {
    if (tracker.draining) throw unavailable(`${options.name} is shutting down; retry on another replica`, 'SERVER_DRAINING');
    if (options.authenticate && !publicMethods.has(context.method)) context.principal = (await options.authenticate(context)) ?? undefined;
  };

  // A request whose bytes did not decode reaches the handler as a MalformedRequest (see the SDK runtime).
  const decoded = (request: unknown) => {
    if (request instanceof MalformedRequest) {
      throw new ServiceFailure(grpc.status.INVALID_ARGUMENT, `request is not a valid ${request.typeName}: ${request.problem}`, {
        reason: 'MALFORMED_REQUEST',
        fieldViolations: [{ field: 'request', description: request.problem }],
      });
    }
    return request;
  };

  const report = (context: ServerCallContext, span: Span, started: bigint, error: unknown) => {
    const status = error === undefined ? OK_STATUS : toStatusObject(error, options.errorDomain);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const codeName = statusCodeName(status.code);
    callDuration.record(seconds, { 'rpc.system.name': 'grpc', 'rpc.method': context.method, 'rpc.status_code': codeName });
    endCallSpan(span, codeName, status.details);
    if (error === undefined && !debugEnabled) return status;
    const line = { method: context.method, code: codeName, duration_ms: Math.round(seconds * 1e4) / 10, team: context.principal?.teamId };
    if (status.internalError) logger.error({ ...line, err: status.internalError }, 'call failed with an internal error');
    else if (error !== undefined && status.code !== grpc.status.CANCELLED) logger.info({ ...line, message: status.details }, 'call failed');
    else logger.debug(line, 'call');
    return status;
  };

  for (const binding of options.services) {
    const handlers: Record<string, unknown> = {};
    for (const method of binding.service.methods) {
      const handler = (binding.implementation as Record<string, (...args: unknown[]) => unknown>)[method.localName];
      if (typeof handler !== 'function') throw new Error(`${options.name}: ${binding.service.typeName}.${method.name} has no implementation`);
      if (method.methodKind === 'unary') {
        handlers[method.localName] = (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
          const started = process.hrtime.bigint();
          const { context, controller } = createContext(call, method, tracker);
          const callSpan = startCallSpan(context.method, call.metadata);
          begin();
          inCallSpan(callSpan, () =>
            (async () => {
              await admit(context);
              const result = await handler.call(binding.implementation, decoded(call.request), context);
              return create(method.output, result as never);
            })().then(
              (response) => {
                report(context, callSpan.span, started, undefined);
                context.flushHeaders();
                callback(null, response);
                finish(context, controller);
              },
              (error: unknown) => {
                callback(report(context, callSpan.span, started, error));
                finish(context, controller);
              },
            ),
          );
        };
      } else if (method.methodKind === 'server_streaming') {
        handlers[method.localName] = (call: grpc.ServerWritableStream<unknown, unknown>) => {
          const started = process.hrtime.bigint();
          const { context, controller } = createContext(call, method, tracker);
          const callSpan = startCallSpan(context.method, call.metadata);
          begin();
          inCallSpan(callSpan, () =>
            (async () => {
              await admit(context);
              const stream = handler.call(binding.implementation, decoded(call.request), context) as AsyncIterable<unknown>;
              for await (const item of stream) {
                if (call.cancelled) break; // leaving the loop runs the generator's finally blocks
                context.flushHeaders();
                if (!call.write(create(method.output, item as never))) await new Promise((resolve) => call.once('drain', resolve));
              }
            })().then(
              () => {
                report(context, callSpan.span, started, undefined);
                context.flushHeaders();
                if (!call.cancelled) call.end();
                finish(context, controller);
              },
              (error: unknown) => {
                const status = report(context, callSpan.span, started, error);
                if (!call.cancelled) call.emit('error', status);
                finish(context, controller);
              },
            ),
          );
        };
      } else {
        throw new Error(`${options.name}: ${method.methodKind} methods are not supported`);
      }
    }
    server.addService(grpcServiceDefinition(binding.service), handlers as grpc.UntypedServiceImplementation);
  }

  const serviceNames = options.services.map((s) => s.service.typeName);
  const health = new HealthImplementation(Object.fromEntries(['', ...serviceNames].map((n) => [n, 'SERVING'])));
  health.addToServer(server);
  addReflection(server, options.services.map((s) => s.service));

  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(options.address, options.credentials ?? grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  const host = options.address.slice(0, options.address.lastIndexOf(':'));
  const address = `${host}:${port}`;
  logger.info({ address, services: serviceNames }, 'listening');

  const setServing = (serving: boolean) => {
    for (const name of ['', ...serviceNames]) health.setStatus(name, serving ? 'SERVING' : 'NOT_SERVING');
  };

  let shutdownPromise: Promise<void> | undefined;
  const shutdown = (graceMs = options.drainGraceMs ?? 10_000) =>
    (shutdownPromise ??= (async () => {
      logger.info({ in_flight: tracker.count, grace_ms: graceMs }, 'draining');
      setServing(false);
      tracker.draining = true;
      const drained = tracker.count === 0 ? Promise.resolve(true) : new Promise<boolean>((resolve) => tracker.idle.push(() => resolve(true)));
      const timedOut = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), graceMs).unref());
      if (!(await Promise.race([drained, timedOut]))) {
        logger.warn({ in_flight: tracker.count }, 'grace period over: cancelling in-flight calls');
        for (const controller of tracker.controllers) controller.abort(unavailable('server shut down before the call finished', 'SERVER_SHUTDOWN'));
      }
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 1000).unref();
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
      logger.info('stopped');
    })());

  return { address, port, inFlight: () => tracker.count, setServing, shutdown };
}

// The status of every successful call: only its code is read (the reply goes out through the callback).
const OK_STATUS = { code: grpc.status.OK, details: 'OK', metadata: new grpc.Metadata(), internalError: undefined } as const;
