/**
 * Billing's domain errors. The ledger, budgets and queries throw these; `billing-service.ts` turns
 * them into gRPC status in one place.
 */
export class InvalidFieldError extends Error {
  override readonly name = 'InvalidFieldError';
  /** @param field the request field, as a path like `records[3].usage.input_tokens` */
  constructor(
    readonly field: string,
    readonly description: string,
  ) {
    super(`${field}: ${description}`);
  }
}

/** The thing asked for does not exist. */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
  /** @param reason the ErrorInfo reason naming what is missing, e.g. `BUDGET_NOT_FOUND` */
  constructor(
    message: string,
    readonly reason: string,
  ) {
    super(message);
  }
}

/** An idempotency key was reused with different content. */
export class ConflictingDuplicateError extends Error {
  override readonly name = 'ConflictingDuplicateError';
}

/**
 * ReserveBudget for a request id the ledger already holds a successful usage row for (same team):
 * the request was served, so holding budget for it again would serve and bill it twice (AIP-155).
 */
export class RequestAlreadyServedError extends Error {
  override readonly name = 'RequestAlreadyServedError';
  constructor(
    readonly requestId: string,
    readonly teamId: string,
    readonly recordedAt: Date,
  ) {
    super(`request ${requestId} of team ${teamId} was already served and recorded (${recordedAt.toISOString()}); send a new request with a new request id`);
  }
}

/** The caller may not do or read this. */
export class AccessDeniedError extends Error {
  override readonly name = 'AccessDeniedError';
}

/** One budget a hold did not fit. */
export interface BudgetViolation {
  /** e.g. `team:acme` or `team:acme/project:search`. */
  subject: string;
  /** Limit, spent, held and requested, for a person. */
  description: string;
}

/** A hold did not fit the remaining budget. */
export class BudgetExhaustedError extends Error {
  override readonly name = 'BudgetExhaustedError';
  constructor(
    message: string,
    readonly violations: BudgetViolation[],
    readonly metadata: Record<string, string>,
  ) {
    super(message);
  }
}
