import { ERROR_TYPE_OTHER, GRPC_STATUS_NAMES } from './gen-ai-attributes';

/**
 * A low-cardinality `error.type` for any thrown value: the gRPC status name of a SwitchyardError or
 * ServiceFailure (`UNAVAILABLE`), the HTTP status of a vendor SDK's API error (`429`), else the
 * error's class name (`APIConnectionError`, `AbortError`), else `_OTHER`. Never the message, which
 * is high-cardinality and may quote the prompt.
 */
export function describeErrorType(error: unknown): string {
  if (typeof error !== 'object' || error === null) return ERROR_TYPE_OTHER;
  const candidate = error as { errorType?: unknown; codeName?: unknown; code?: unknown; status?: unknown; name?: unknown };
  if (typeof candidate.errorType === 'string' && candidate.errorType) return candidate.errorType;
  if (typeof candidate.codeName === 'string' && candidate.codeName) return candidate.codeName;
  if (typeof candidate.code === 'number' && Number.isInteger(candidate.code) && GRPC_STATUS_NAMES[candidate.code]) {
    return GRPC_STATUS_NAMES[candidate.code];
  }
  if (typeof candidate.status === 'number' && Number.isInteger(candidate.status) && candidate.status >= 100) return String(candidate.status);
  if (typeof candidate.name === 'string' && candidate.name && candidate.name !== 'Error') return candidate.name;
  return ERROR_TYPE_OTHER;
}

/** The gRPC status name for a numeric code, e.g. 14 → `UNAVAILABLE`. */
export function grpcStatusName(code: number): string {
  return GRPC_STATUS_NAMES[code] ?? `CODE_${code}`;
}
