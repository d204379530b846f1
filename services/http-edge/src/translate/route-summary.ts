import type { common } from '@switchyard/contracts';

/** What the router reports about where a request went and what it cost. */
export interface RouteReport {
  readonly route?: common.RouteDecision;
  /** Only its `estimated` flag is reported here; the counts go into each API's own usage shape. */
  readonly usage?: common.TokenUsage;
  readonly cost?: common.Cost;
  readonly traceId?: string;
  readonly requestId?: string;
}

/** The `x-switchyard-*` response headers the edge sets. */
export const SWITCHYARD_HEADERS = {
  route: 'x-switchyard-route',
  routeRule: 'x-switchyard-route-rule',
  cost: 'x-switchyard-cost-nanos-usd',
  traceId: 'x-switchyard-trace-id',
  requestId: 'x-switchyard-request-id',
} as const;

/** `provider/model` of the model that answered, or undefined when the router did not say. */
export function routeName(route: common.RouteDecision | undefined): string | undefined {
  const chosen = route?.chosen;
  if (!chosen || chosen.model === '') return undefined;
  return chosen.provider ? `${chosen.provider}/${chosen.model}` : chosen.model;
}

/** The `x-switchyard-*` headers for a report; absent facts give no header. */
export function switchyardHeaders(report: RouteReport): Record<string, string> {
  const headers: Record<string, string> = {};
  const route = routeName(report.route);
  if (route) headers[SWITCHYARD_HEADERS.route] = route;
  if (report.route?.rule) headers[SWITCHYARD_HEADERS.routeRule] = report.route.rule;
  if (report.cost) headers[SWITCHYARD_HEADERS.cost] = report.cost.nanosUsd.toString();
  if (report.traceId) headers[SWITCHYARD_HEADERS.traceId] = report.traceId;
  if (report.requestId) headers[SWITCHYARD_HEADERS.requestId] = report.requestId;
  return headers;
}

/**
 * The `switchyard` field the edge adds to a response body (and, for streams, to the last event,
 * whose headers went out before the cost was known). int64 amounts are decimal strings, as in
 * protobuf's JSON mapping, so no client rounds them. `usage_estimated: true` appears only when the
 * token counts (and so the cost) are the adapter's estimate: neither OpenAI's nor Anthropic's usage
 * shape has room for that.
 */
export function switchyardExtension(report: RouteReport): Record<string, unknown> {
  const extension: Record<string, unknown> = {};
  if (report.requestId) extension['request_id'] = report.requestId;
  if (report.traceId) extension['trace_id'] = report.traceId;
  const route = report.route;
  if (route) {
    extension['route'] = {
      provider: route.chosen?.provider ?? '',
      model: route.chosen?.model ?? '',
      deployment: route.chosen?.deployment ?? '',
      rule: route.rule,
      reason: route.reason,
      policy: route.policy,
      fallbacks: route.fallbacks,
    };
  }
  const cost = report.cost;
  if (cost) {
    extension['cost'] = {
      nanos_usd: cost.nanosUsd.toString(),
      price_version: cost.priceVersion,
      baseline_nanos_usd: cost.baselineNanosUsd.toString(),
      baseline_model: cost.baselineModel,
    };
  }
  if (report.usage?.estimated) extension['usage_estimated'] = true;
  return extension;
}
