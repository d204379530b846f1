import { EdgeRequestError } from './edge-request-error';

// A name that suggests where to send the request (base_url, api_base, baseURL, endpoint, host...).
const UPSTREAM_NAME = /url|uri|base|endpoint|host|proxy|upstream|origin|server/i;
// A value with a scheme (`https://...`, `grpc://...`) or a bare `host:port`.
const UPSTREAM_VALUE = /^\s*([a-z][a-z0-9+.-]*:\/\/|[a-z0-9.-]+:\d{2,5}(\/|$))/i;
const MAX_DEPTH = 6;

/**
 * Refuses a body whose fields outside the API's own set could name an upstream. The translators
 * read only the fields they know, so an unknown field never reaches the router anyway; refusing the
 * URL-like ones (by name or by value, at any depth) tells the caller plainly that Switchyard does
 * not take upstream addresses from requests, instead of silently ignoring what they meant.
 * Other unknown fields are ignored, so newer SDKs that send extra hints keep working.
 */
export function rejectUpstreamFields(
  body: Record<string, unknown>,
  knownFields: ReadonlySet<string>,
  fieldName: (path: readonly string[]) => string,
): void {
  for (const [key, value] of Object.entries(body)) {
    if (knownFields.has(key)) continue;
    const found = findUpstreamField([key], value, 0);
    if (found) {
      throw new EdgeRequestError(
        `Unrecognized request argument '${fieldName(found)}': Switchyard never takes an upstream URL or host from a request; ` +
          'upstreams are set in the router configuration, and the model is chosen with the `model` field.',
        fieldName(found),
      );
    }
  }
}

function findUpstreamField(path: string[], value: unknown, depth: number): string[] | undefined {
  const key = path[path.length - 1] ?? '';
  if (UPSTREAM_NAME.test(key)) return path;
  if (typeof value === 'string') return UPSTREAM_VALUE.test(value) ? path : undefined;
  if (depth >= MAX_DEPTH || value === null || typeof value !== 'object') return undefined;
  const entries = Array.isArray(value) ? value.map((item, index) => [String(index), item] as const) : Object.entries(value);
  for (const [childKey, child] of entries) {
    const found = findUpstreamField([...path, childKey], child, depth + 1);
    if (found) return found;
  }
  return undefined;
}
