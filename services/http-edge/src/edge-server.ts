import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger, type Logger } from '@switchyard/grpc-kit';
import { chatCompletionsApi } from './chat-completions-api';
import type { EdgeRoute, EdgeRouteDependencies, EdgeRouterClient, RequestLog } from './edge-route';
import { createGenerationRoute } from './generation-route';
import { requestPath, sendJson } from './http-exchange';
import { messagesApi } from './messages-api';
import { responsesApi } from './responses-api';
import { createModelsRoute, wantsAnthropicShape } from './models-route';
import { EdgeRequestError } from './translate/edge-request-error';
import { anthropicErrorResponse, httpFailureOf, openAIErrorResponse } from './translate/http-failure';

/** Options of startHttpEdge. */
export interface HttpEdgeOptions {
  /** The router client (`createRouterClient(address)`, no API key: each call carries the caller's). */
  router: EdgeRouterClient;
  /** `host:port` to listen on; port 0 picks a free one. Default `127.0.0.1:0`. */
  listen?: string;
  /** JSON logger; default pino on stdout. */
  logger?: Logger;
  /** Upper bound on a generation call, ms; callers may ask for less. Default 120 s. */
  requestTimeoutMs?: number;
  /** Deadline of a models-list call, ms. Default 10 s. */
  listModelsTimeoutMs?: number;
  /** Largest request body, bytes. Default 16 MiB (the router's gRPC message limit). */
  maxBodyBytes?: number;
  /** How long close() waits for in-flight requests before cutting them, ms. Default 10 s. */
  drainGraceMs?: number;
  /** Readiness for `GET /readyz` (e.g. the router's gRPC health). Default: always ready. */
  readiness?: () => Promise<boolean>;
  /** Clock, epoch ms (tests). */
  now?: () => number;
  /** Request ids for callers without an idempotency key. Default `randomUUID`. */
  newRequestId?: () => string;
}

/** A running edge. */
export interface RunningHttpEdge {
  /** `http://host:port`. */
  readonly url: string;
  readonly port: number;
  /** Requests being answered. */
  inFlight(): number;
  /** Stop accepting, let in-flight requests finish within the grace period, then cut the rest. Safe to call twice. */
  close(graceMs?: number): Promise<void>;
}

function splitListen(listen: string): { host: string; port: number } {
  const colon = listen.lastIndexOf(':');
  if (colon < 0) throw new Error(`listen must be host:port, got "${listen}"`);
  return { host: listen.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), port: Number(listen.slice(colon + 1)) };
}

/**
 * Starts the HTTP edge: OpenAI Chat Completions and Responses, Anthropic Messages and the models list over
 * node:http, each request translated to one router gRPC call and back.
 */
export async function startHttpEdge(options: HttpEdgeOptions): Promise<RunningHttpEdge> {
  const logger = options.logger ?? createLogger({ service: 'http-edge' });
  const deps: EdgeRouteDependencies = {
    router: options.router,
    logger,
    requestTimeoutMs: options.requestTimeoutMs ?? 120_000,
    listModelsTimeoutMs: options.listModelsTimeoutMs ?? 10_000,
    maxBodyBytes: options.maxBodyBytes ?? 16 * 1024 * 1024,
    now: options.now ?? Date.now,
    newRequestId: options.newRequestId ?? randomUUID,
  };
  const chatCompletions = createGenerationRoute(chatCompletionsApi, deps);
  const responses = createGenerationRoute(responsesApi, deps);
  const messages = createGenerationRoute(messagesApi, deps);
  const models = createModelsRoute(deps);
  let draining = false;
  let inFlight = 0;
  const idle: Array<() => void> = [];

  const routeFor = (req: IncomingMessage): EdgeRoute | undefined => {
    const path = requestPath(req);
    const method = req.method ?? 'GET';
    const expect = (wanted: string, route: EdgeRoute): EdgeRoute =>
      method === wanted ? route : async (_req, res, log) => fallback(req, res, log, new EdgeRequestError(`${method} is not allowed on ${path}; use ${wanted}.`, undefined, 'method_not_allowed'));
    if (path === '/v1/chat/completions') return expect('POST', chatCompletions);
    if (path === '/v1/responses') return expect('POST', responses);
    if (path === '/v1/messages') return expect('POST', messages);
    if (path === '/v1/models' || path.startsWith('/v1/models/')) return expect('GET', models);
    return undefined;
  };

  const fallback = async (req: IncomingMessage, res: ServerResponse, log: RequestLog, error: EdgeRequestError) => {
    const failure = httpFailureOf(error);
    log.error = failure.reason;
    const anthropic = wantsAnthropicShape(req) || (req.url ?? '').startsWith('/v1/messages');
    const response = anthropic ? anthropicErrorResponse(failure) : openAIErrorResponse(failure);
    sendJson(res, response.status, response.headers, response.body);
  };

  const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    const path = requestPath(req);
    if (req.method === 'GET' && path === '/healthz') return sendJson(res, draining ? 503 : 200, {}, { status: draining ? 'draining' : 'ok' });
    if (req.method === 'GET' && path === '/readyz') {
      void (options.readiness ?? (async () => true))().then(
        (ready) => sendJson(res, ready && !draining ? 200 : 503, {}, { status: ready && !draining ? 'ready' : 'not_ready' }),
        () => sendJson(res, 503, {}, { status: 'not_ready' }),
      );
      return;
    }
    const started = process.hrtime.bigint();
    const log: RequestLog = {};
    inFlight++;
    res.on('close', () => {
      inFlight--;
      const status = res.writableFinished ? res.statusCode : 499;
      const line = { method: req.method, path, status, duration_ms: Math.round(Number(process.hrtime.bigint() - started) / 1e5) / 10, ...log };
      if (status >= 500 && status !== 503) logger.warn(line, 'request failed');
      else logger.info(line, 'request');
      if (inFlight === 0) for (const resolve of idle.splice(0)) resolve();
    });
    if (draining) res.setHeader('connection', 'close');
    const route = routeFor(req) ?? ((_req, response, requestLog) => fallback(req, response, requestLog, new EdgeRequestError(`Unknown path ${req.method} ${path}.`, undefined, 'not_found')));
    route(req, res, log).catch((error: unknown) => {
      logger.error({ err: error, path }, 'edge route threw');
      if (!res.headersSent) sendJson(res, 500, {}, { error: { message: 'internal error', type: 'server_error', param: null, code: null } });
      else res.destroy();
    });
  });
  // Streams can be long; Node's default 5-minute request timeout only covers receiving the request.
  server.headersTimeout = 30_000;

  const { host, port } = splitListen(options.listen ?? '127.0.0.1:0');
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${urlHost}:${address.port}`;
  logger.info({ address: url }, 'listening');

  let closing: Promise<void> | undefined;
  return {
    url,
    port: address.port,
    inFlight: () => inFlight,
    close: (graceMs = options.drainGraceMs ?? 10_000) =>
      (closing ??= (async () => {
        draining = true;
        logger.info({ in_flight: inFlight, grace_ms: graceMs }, 'draining');
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        if (inFlight > 0) {
          const drained = new Promise<boolean>((resolve) => idle.push(() => resolve(true)));
          const timedOut = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), graceMs).unref());
          if (!(await Promise.race([drained, timedOut]))) logger.warn({ in_flight: inFlight }, 'grace period over: cutting in-flight requests');
        }
        server.closeAllConnections(); // cut streams cancel their router calls
        await closed;
        logger.info('stopped');
      })()),
  };
}
