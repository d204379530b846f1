import type { IncomingMessage } from 'node:http';
import { readCallerHeaders } from './caller-headers';
import type { EdgeRoute, EdgeRouteDependencies, EdgeRouterClient } from './edge-route';
import { callerGoneSignal, requestPath, sendJson } from './http-exchange';
import { anthropicErrorResponse, httpFailureOf, openAIErrorResponse, type HttpFailure } from './translate/http-failure';
import { anthropicModel, anthropicModelPage, catalogEntries, findCatalogEntry, openAIModel, openAIModelList, type CatalogEntry } from './translate/model-catalog';
import { SWITCHYARD_HEADERS } from './translate/route-summary';

const PAGE_SIZE = 1000;
const MAX_PAGES = 20;

/** Every model and alias the caller's team may use, over all ListModels pages (bounded). */
export async function listCatalog(router: EdgeRouterClient, call: { signal: AbortSignal; timeoutMs: number; metadata: Record<string, string> }): Promise<CatalogEntry[]> {
  const models = [];
  const aliases = new Set<string>();
  let pageToken = '';
  for (let page = 0; page < MAX_PAGES; page++) {
    const response = await router.listModels({ pageSize: PAGE_SIZE, pageToken }, call);
    models.push(...response.models);
    for (const alias of response.aliases) aliases.add(alias);
    pageToken = response.nextPageToken;
    if (pageToken === '') break;
  }
  return catalogEntries(models, [...aliases]);
}

/** Anthropic's SDK always sends `anthropic-version`; OpenAI's never does. */
export function wantsAnthropicShape(req: IncomingMessage): boolean {
  return req.headers['anthropic-version'] !== undefined;
}

/**
 * `GET /v1/models` and `GET /v1/models/{id}`: the router's ListModels for the caller's team, in
 * OpenAI's shape, or Anthropic's when the caller is Anthropic's SDK.
 */
export function createModelsRoute(deps: EdgeRouteDependencies): EdgeRoute {
  return async (req, res, log) => {
    const anthropic = wantsAnthropicShape(req);
    log.api = anthropic ? 'anthropic' : 'openai';
    const path = requestPath(req);
    const id = path.startsWith('/v1/models/') ? decodeURIComponent(path.slice('/v1/models/'.length)) : undefined;
    const headers: Record<string, string> = {};
    const fail = (failure: HttpFailure) => {
      log.grpc_code = failure.grpcCode;
      log.error = failure.reason;
      const response = anthropic ? anthropicErrorResponse(failure, log.request_id) : openAIErrorResponse(failure);
      sendJson(res, response.status, { ...headers, ...response.headers }, response.body);
    };
    try {
      const caller = readCallerHeaders(req.headers, { maxTimeoutMs: deps.listModelsTimeoutMs, newRequestId: deps.newRequestId });
      log.request_id = caller.caller.requestId;
      headers[SWITCHYARD_HEADERS.requestId] = caller.caller.requestId;
      const entries = await listCatalog(deps.router, { signal: callerGoneSignal(res), timeoutMs: caller.timeoutMs, metadata: caller.metadata });
      if (id === undefined) {
        sendJson(res, 200, headers, anthropic ? anthropicModelPage(entries) : openAIModelList(entries));
        return;
      }
      const entry = findCatalogEntry(entries, id);
      if (!entry) {
        fail({ status: 404, message: `The model '${id}' does not exist or your team may not use it.`, reason: 'MODEL_NOT_FOUND', field: 'model', retryable: false });
        return;
      }
      sendJson(res, 200, headers, anthropic ? anthropicModel(entry) : openAIModel(entry));
    } catch (error) {
      fail(httpFailureOf(error));
    }
  };
}
