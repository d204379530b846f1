import type { MessageInitShape } from '@bufbuild/protobuf';
import type { Metadata } from '@grpc/grpc-js';
import type { router } from '@switchyard/contracts';
import type { ApiDialect, ResponseIdentity } from './api-dialect';
import { readCallerHeaders } from './caller-headers';
import type { EdgeRoute, EdgeRouteDependencies, RequestLog } from './edge-route';
import { callerGoneSignal, createSseWriter, readJsonBody, sendJson } from './http-exchange';
import { httpFailureOf } from './translate/http-failure';
import { SWITCHYARD_HEADERS, routeName, switchyardHeaders } from './translate/route-summary';

const FORWARDED_ROUTER_HEADERS = Object.values(SWITCHYARD_HEADERS);

/**
 * The route for one generation API (`POST /v1/chat/completions`, `/v1/responses` or `/v1/messages`):
 * read headers and body, translate, call the router (unary or streaming), translate back.
 * Failures before the first byte get the API's own error shape and status; failures after it
 * become the API's in-stream error event. A caller that goes away cancels the router call.
 */
export function createGenerationRoute(api: ApiDialect, deps: EdgeRouteDependencies): EdgeRoute {
  return async (req, res, log) => {
    log.api = api.name;
    const headers: Record<string, string> = {};
    let requestId: string | undefined;
    try {
      const caller = readCallerHeaders(req.headers, { maxTimeoutMs: deps.requestTimeoutMs, newRequestId: deps.newRequestId });
      requestId = caller.caller.requestId;
      log.request_id = requestId;
      log.trace_id = caller.traceId;
      headers[SWITCHYARD_HEADERS.requestId] = requestId;
      headers[api.requestIdHeader] = requestId;
      if (caller.traceId) headers[SWITCHYARD_HEADERS.traceId] = caller.traceId;

      const translated = api.translate(await readJsonBody(req, deps.maxBodyBytes), caller.caller);
      log.model = translated.requestedModel;
      log.stream = translated.stream;
      const identity: ResponseIdentity = { id: `${api.idPrefix}${requestId}`, created: Math.floor(deps.now() / 1000), requestedModel: translated.requestedModel };
      const signal = callerGoneSignal(res);
      const call = { signal, timeoutMs: caller.timeoutMs, metadata: caller.metadata };

      if (!translated.stream) {
        const response = await deps.router.generate(translated.request, call);
        log.route = routeName(response.route);
        log.trace_id = response.traceId || log.trace_id;
        sendJson(res, 200, { ...headers, ...switchyardHeaders({ ...response, requestId }) }, api.reply(response, identity));
        return;
      }

      const announced: Record<string, string> = {};
      // StreamGenerateRequest has exactly GenerateRequest's fields; the translators build plain inits without $typeName.
      const streamRequest = translated.request as MessageInitShape<typeof router.StreamGenerateRequestSchema>;
      const events = deps.router.streamGenerate(streamRequest, { ...call, onHeader: (metadata) => Object.assign(announced, switchyardMetadata(metadata)) });
      await relayStream(api, events, { res, log, signal, identity, headers, announced, includeUsage: translated.includeUsage ?? false, requestId });
    } catch (error) {
      replyWithFailure(api, res, log, error, headers, requestId, deps);
    }
  };
}

interface StreamRelay {
  res: Parameters<EdgeRoute>[1];
  log: RequestLog;
  signal: AbortSignal;
  identity: ResponseIdentity;
  headers: Record<string, string>;
  announced: Record<string, string>;
  includeUsage: boolean;
  requestId: string;
}

async function relayStream(api: ApiDialect, events: AsyncIterable<router.StreamGenerateResponse>, relay: StreamRelay): Promise<void> {
  const iterator = events[Symbol.asyncIterator]();
  // The first event decides the status line: a router error before it is still a proper HTTP error.
  let next = await iterator.next();
  if (relay.signal.aborted) {
    await iterator.return?.();
    return;
  }
  const writer = createSseWriter(relay.res);
  const announcedRoute = relay.announced[SWITCHYARD_HEADERS.route];
  relay.log.route = announcedRoute;
  writer.open({ ...relay.headers, ...relay.announced, [SWITCHYARD_HEADERS.requestId]: relay.requestId });
  const model = announcedRoute ? announcedRoute.slice(announcedRoute.indexOf('/') + 1) : relay.identity.requestedModel;
  const encoder = api.encoder(relay.identity, { model, includeUsage: relay.includeUsage });
  try {
    while (!next.done) {
      const event = next.value;
      if (event.event.case === 'final') {
        relay.log.route = routeName(event.event.value.route) ?? relay.log.route;
        relay.log.trace_id = event.event.value.traceId || relay.log.trace_id;
      }
      for (const frame of encoder.encode(event)) await writer.send(frame.data, frame.event);
      if (relay.signal.aborted) return;
      next = await iterator.next();
    }
    if (!encoder.finished) throw new Error('router stream ended without its final event');
    for (const frame of api.doneFrames) await writer.send(frame.data, frame.event);
  } catch (error) {
    if (relay.signal.aborted) return;
    const failure = httpFailureOf(error);
    relay.log.grpc_code = failure.grpcCode;
    relay.log.error = failure.reason ?? 'INTERNAL';
    const frames = encoder.fail?.(failure, relay.requestId) ?? [api.errorFrame(failure, relay.requestId)];
    for (const frame of frames) await writer.send(frame.data, frame.event);
  } finally {
    await iterator.return?.();
    writer.end();
  }
}

function replyWithFailure(
  api: ApiDialect,
  res: Parameters<EdgeRoute>[1],
  log: RequestLog,
  error: unknown,
  headers: Record<string, string>,
  requestId: string | undefined,
  deps: EdgeRouteDependencies,
): void {
  const failure = httpFailureOf(error);
  log.grpc_code = failure.grpcCode;
  log.error = failure.reason;
  if (failure.status === 500 && !failure.grpcCode) deps.logger.error({ err: error, request_id: requestId }, 'edge failed with an internal error');
  if (res.headersSent) {
    res.destroy(); // a stream that broke before its error frame could be written
    return;
  }
  const response = api.errorResponse(failure, requestId);
  sendJson(res, response.status, { ...headers, ...response.headers }, response.body);
}

/** The `x-switchyard-*` headers the router sent as gRPC response metadata (e.g. the route, before a stream's first delta). */
function switchyardMetadata(metadata: Metadata): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const key of FORWARDED_ROUTER_HEADERS) {
    const value = metadata.get(key)[0];
    if (typeof value === 'string' && value !== '' && !/[\r\n]/.test(value)) picked[key] = value;
  }
  return picked;
}
