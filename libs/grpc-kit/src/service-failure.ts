import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { status as Status, Metadata, type StatusObject } from '@grpc/grpc-js';
import { common, rpc } from '@switchyard/contracts';
import { encodeStatusDetails, statusCodeName, STATUS_DETAILS_KEY, type StatusDetail } from '@switchyard/sdk';

/** Structured details of a ServiceFailure; each becomes a google.rpc.Status detail (AIP-193). */
export interface FailureDetails {
  /** ErrorInfo.reason, UPPER_SNAKE_CASE, e.g. `BUDGET_EXHAUSTED`. Defaults to the code name. */
  reason?: string;
  /** ErrorInfo.metadata: small machine-readable facts (ids, limits). Never prompt text or secrets. */
  metadata?: Record<string, string>;
  /** RetryInfo: how long the caller should wait before retrying. */
  retryDelayMs?: number;
  /** QuotaFailure violations (budget or rate limits). */
  quotaViolations?: { subject: string; description: string }[];
  /** BadRequest field violations, `field` as a path like `messages[2].parts[0].image.url`. */
  fieldViolations?: { field: string; description: string }[];
  /** Usage consumed before a stream broke. */
  partialUsage?: MessageInitShape<typeof common.PartialUsageSchema>;
}

/**
 * A domain error that crosses the gRPC boundary as a status code, a message a person can act on,
 * and structured details. Throw it from handlers; the harness converts it in one place.
 */
export class ServiceFailure extends Error {
  override readonly name = 'ServiceFailure';
  constructor(
    readonly code: Status,
    message: string,
    readonly details: FailureDetails = {},
  ) {
    super(message);
  }
}

/** INVALID_ARGUMENT naming the field, with a BadRequest field violation. */
export function invalidArgument(field: string, description: string, reason = 'INVALID_FIELD'): ServiceFailure {
  return new ServiceFailure(Status.INVALID_ARGUMENT, `${field}: ${description}`, {
    reason,
    metadata: { field },
    fieldViolations: [{ field, description }],
  });
}
/** UNAUTHENTICATED: missing or bad credentials. */
export const unauthenticated = (message: string, reason = 'API_KEY_INVALID') => new ServiceFailure(Status.UNAUTHENTICATED, message, { reason });
/** PERMISSION_DENIED: authenticated, but not allowed. */
export const permissionDenied = (message: string, reason = 'PERMISSION_DENIED', metadata?: Record<string, string>) =>
  new ServiceFailure(Status.PERMISSION_DENIED, message, { reason, metadata });
/** NOT_FOUND. */
export const notFound = (message: string, reason = 'NOT_FOUND') => new ServiceFailure(Status.NOT_FOUND, message, { reason });
/** ALREADY_EXISTS: e.g. a conflicting duplicate of an idempotent write. */
export const alreadyExists = (message: string, reason = 'ALREADY_EXISTS') => new ServiceFailure(Status.ALREADY_EXISTS, message, { reason });
/** FAILED_PRECONDITION: the system is not in a state to serve this (not the caller's fault). */
export const failedPrecondition = (message: string, reason = 'FAILED_PRECONDITION') => new ServiceFailure(Status.FAILED_PRECONDITION, message, { reason });
/** UNAVAILABLE: try again later or elsewhere; the only code clients retry automatically (AIP-194). */
export const unavailable = (message: string, reason = 'UNAVAILABLE', details: Omit<FailureDetails, 'reason'> = {}) =>
  new ServiceFailure(Status.UNAVAILABLE, message, { reason, ...details });
/** DEADLINE_EXCEEDED. */
export const deadlineExceeded = (message: string, reason = 'DEADLINE_EXCEEDED') => new ServiceFailure(Status.DEADLINE_EXCEEDED, message, { reason });
/** RESOURCE_EXHAUSTED: a budget or rate limit, with QuotaFailure and optional RetryInfo. */
export const resourceExhausted = (message: string, details: FailureDetails) => new ServiceFailure(Status.RESOURCE_EXHAUSTED, message, details);
/** INTERNAL with a message safe to show. */
export const internal = (message: string) => new ServiceFailure(Status.INTERNAL, message, { reason: 'INTERNAL' });

function detailMessages(failure: ServiceFailure, domain: string): StatusDetail[] {
  const d = failure.details;
  const details: StatusDetail[] = [
    create(rpc.ErrorInfoSchema, { reason: d.reason ?? statusCodeName(failure.code), domain, metadata: d.metadata ?? {} }),
  ];
  if (d.retryDelayMs !== undefined) {
    const ms = Math.max(0, Math.round(d.retryDelayMs));
    details.push(create(rpc.RetryInfoSchema, { retryDelay: { seconds: BigInt(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1e6 } }));
  }
  if (d.quotaViolations?.length) details.push(create(rpc.QuotaFailureSchema, { violations: d.quotaViolations }));
  if (d.fieldViolations?.length) details.push(create(rpc.BadRequestSchema, { fieldViolations: d.fieldViolations }));
  if (d.partialUsage) details.push(create(common.PartialUsageSchema, d.partialUsage));
  return details;
}

/**
 * The one place any thrown value becomes a gRPC status. ServiceFailures keep their code, message
 * and details; anything else is an INTERNAL "internal error" (the caller never sees internals).
 */
export function toStatusObject(error: unknown, domain: string): StatusObject & { internalError?: unknown } {
  const failure = error instanceof ServiceFailure ? error : undefined;
  const code = failure?.code ?? Status.INTERNAL;
  const message = failure?.message ?? 'internal error';
  const metadata = new Metadata();
  const details = failure ? detailMessages(failure, domain) : [create(rpc.ErrorInfoSchema, { reason: 'INTERNAL', domain })];
  metadata.set(STATUS_DETAILS_KEY, encodeStatusDetails(code, message, details));
  return { code, details: message, metadata, internalError: failure ? undefined : error };
}
