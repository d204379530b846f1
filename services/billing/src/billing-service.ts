import { timestampDate, timestampFromDate, type Duration, type Timestamp } from '@bufbuild/protobuf/wkt';
import { status } from '@grpc/grpc-js';
import { trace, type Attributes } from '@opentelemetry/api';
import { billing } from '@switchyard/contracts';
import { DatabaseUnavailableError } from '@switchyard/database';
import {
  alreadyExists,
  invalidArgument,
  notFound,
  permissionDenied,
  resourceExhausted,
  ServiceFailure,
  unavailable,
} from '@switchyard/grpc-kit';
import type { CatalogPrice } from '@switchyard/pricing';
import type { BillingServiceImplementation } from '@switchyard/sdk';
import { attributionAttributes, budgetAttributes } from '@switchyard/telemetry';
import { authorize, principalOf, readableTeam } from './authorization';
import { AccessDeniedError, BudgetExhaustedError, ConflictingDuplicateError, InvalidFieldError, NotFoundError, RequestAlreadyServedError } from './billing-errors';
import type { BudgetStatus, Budgets } from './budgets';
import type { UsageLedger } from './ledger';
import type { PriceBook } from './price-book';
import type { BillingQueries } from './queries';
import type { TeamDirectory, TeamRecord } from './teams';
import { recordedRequests, withUsageIngestSpans } from './usage-ingest-trace';

/** Options for createBillingService: the domain objects it serves. */
export interface BillingServiceOptions {
  ledger: UsageLedger;
  budgets: Budgets;
  queries: BillingQueries;
  priceBook: PriceBook;
  teams: TeamDirectory;
}

/** The one place billing's domain errors become gRPC status (anything else stays INTERNAL). */
export function toServiceFailure(error: unknown): unknown {
  if (error instanceof ServiceFailure) return error;
  if (error instanceof InvalidFieldError) return invalidArgument(error.field, error.description);
  if (error instanceof NotFoundError) return notFound(error.message, error.reason);
  if (error instanceof ConflictingDuplicateError) return alreadyExists(error.message, 'REQUEST_ID_REUSED');
  if (error instanceof RequestAlreadyServedError) {
    // A signal for the router (AIP-155 across replicas and restarts): do not serve this request id again.
    return new ServiceFailure(status.ALREADY_EXISTS, error.message, { reason: 'REQUEST_ALREADY_SERVED', metadata: { request_id: error.requestId, team_id: error.teamId } });
  }
  if (error instanceof AccessDeniedError) return permissionDenied(error.message, 'BILLING_ACCESS_DENIED');
  if (error instanceof BudgetExhaustedError) {
    return resourceExhausted(error.message, { reason: 'BUDGET_EXHAUSTED', quotaViolations: error.violations, metadata: error.metadata });
  }
  // The database layer classifies connection failures (reset, refused, server restarting) into this one error.
  if (error instanceof DatabaseUnavailableError) return unavailable('the billing database is unavailable; retry shortly', 'DATABASE_UNAVAILABLE', { retryDelayMs: 1000 });
  return error;
}

// Billing drops callers' baggage, so its server spans learn the team being charged from the request itself.
const describeCall = (attributes: Attributes) => trace.getActiveSpan()?.setAttributes(attributes);
const holdOwner = (teamId: string, project: string) => (teamId ? attributionAttributes({ team: teamId, project }) : {});

async function mapped<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw toServiceFailure(error);
  }
}

const optionalTime = (time: Timestamp | undefined, field: string): Date | undefined => {
  if (!time) return undefined;
  const date = timestampDate(time);
  if (Number.isNaN(date.getTime())) throw new InvalidFieldError(field, 'is not a valid time');
  return date;
};

const durationMs = (duration: Duration | undefined, field: string): number | undefined => {
  if (!duration) return undefined;
  if (duration.seconds < 0n || duration.nanos < 0) throw new InvalidFieldError(field, 'must not be negative');
  return Number(duration.seconds) * 1000 + Math.floor(duration.nanos / 1e6);
};

const budgetMessage = (status: BudgetStatus) => ({
  teamId: status.teamId,
  project: status.project,
  period: status.period,
  limitNanosUsd: status.limitNanos,
  spentNanosUsd: status.spentNanos,
  reservedNanosUsd: status.reservedNanos,
  remainingNanosUsd: status.remainingNanos,
  periodStartTime: timestampFromDate(status.periodStart),
});

const teamMessage = (team: TeamRecord) => ({ teamId: team.teamId, displayName: team.displayName, baselineModel: team.baselineModel });

const priceEntryMessage = (entry: CatalogPrice) => ({
  model: { provider: entry.provider, model: entry.model, deployment: entry.deployment ?? '' },
  price: {
    version: entry.version,
    inputNanosUsdPerMtok: entry.inputNanosPerMtok,
    outputNanosUsdPerMtok: entry.outputNanosPerMtok,
    cachedInputNanosUsdPerMtok: entry.cachedInputNanosPerMtok,
    cacheWriteInputNanosUsdPerMtok: entry.cacheWriteInputNanosPerMtok,
    capacityNanosUsdPerHour: entry.capacityNanosPerHour,
    source: entry.source,
  },
  effectiveTime: timestampFromDate(entry.effectiveFrom),
  expireTime: entry.effectiveUntil ? timestampFromDate(entry.effectiveUntil) : undefined,
});

function priceEntryFromMessage(entry: billing.PriceEntry, index: number): CatalogPrice {
  const field = (name: string) => `prices[${index}].${name}`;
  if (!entry.model) throw new InvalidFieldError(field('model'), 'must be set');
  if (!entry.price) throw new InvalidFieldError(field('price'), 'must be set');
  const effectiveFrom = optionalTime(entry.effectiveTime, field('effective_time'));
  if (!effectiveFrom) throw new InvalidFieldError(field('effective_time'), 'must be set');
  const capacity = entry.price.capacityNanosUsdPerHour;
  return {
    provider: entry.model.provider,
    model: entry.model.model,
    deployment: entry.model.deployment || undefined,
    version: entry.price.version,
    inputNanosPerMtok: entry.price.inputNanosUsdPerMtok,
    outputNanosPerMtok: entry.price.outputNanosUsdPerMtok,
    cachedInputNanosPerMtok: entry.price.cachedInputNanosUsdPerMtok,
    capacityNanosPerHour: capacity,
    source: entry.price.source,
    effectiveFrom,
    effectiveUntil: optionalTime(entry.expireTime, field('expire_time')),
    selfHosted: capacity > 0n,
    // Last and only when set: the UpsertPrices content hash of a request without it stays what it was.
    ...(entry.price.cacheWriteInputNanosUsdPerMtok === undefined ? {} : { cacheWriteInputNanosPerMtok: entry.price.cacheWriteInputNanosUsdPerMtok }),
  };
}

/** The BillingService gRPC handlers: authorization, message mapping and error mapping around the domain. */
export function createBillingService(options: BillingServiceOptions): BillingServiceImplementation {
  const { ledger, budgets, queries, priceBook, teams } = options;

  return {
    recordUsage: (request, context) =>
      mapped(async () => {
        authorize(principalOf(context), 'record-usage');
        const results = await withUsageIngestSpans(recordedRequests(request.records, context), () => ledger.record(request.records));
        return { results };
      }),

    reserveBudget: (request, context) =>
      mapped(async () => {
        authorize(principalOf(context), 'hold-budget');
        describeCall({ ...holdOwner(request.teamId, request.project), ...budgetAttributes({ heldNanosUsd: request.amountNanosUsd }) });
        const reservation = await budgets.reserve({
          requestId: request.requestId,
          teamId: request.teamId,
          project: request.project,
          amountNanos: request.amountNanosUsd,
          ttlMs: durationMs(request.ttl, 'ttl'),
        });
        describeCall(budgetAttributes({ reservationId: reservation.reservationId }));
        return { reservationId: reservation.reservationId, expireTime: timestampFromDate(reservation.expireTime), remainingNanosUsd: reservation.remainingNanos };
      }),

    settleBudget: (request, context) =>
      mapped(async () => {
        authorize(principalOf(context), 'hold-budget');
        describeCall(budgetAttributes({ reservationId: request.reservationId }));
        const result = await budgets.settle({ reservationId: request.reservationId, actualNanos: request.actualNanosUsd });
        describeCall(holdOwner(result.teamId, result.project));
        return { remainingNanosUsd: result.remainingNanos, settledNow: result.settledNow };
      }),

    setBudget: (request, context) =>
      mapped(async () => {
        authorize(principalOf(context), 'manage');
        const status = await budgets.setBudget({ teamId: request.teamId, project: request.project, period: request.period, limitNanos: request.limitNanosUsd });
        return { budget: budgetMessage(status) };
      }),

    getBudget: (request, context) =>
      mapped(async () => {
        const principal = principalOf(context);
        authorize(principal, 'read-budget');
        const teamId = readableTeam(principal, request.teamId);
        if (!teamId) throw new InvalidFieldError('team_id', 'must be set');
        const status = await budgets.getBudget({ teamId, project: request.project });
        return { budget: status ? budgetMessage(status) : undefined };
      }),

    listBudgets: (request, context) =>
      mapped(async () => {
        const principal = principalOf(context);
        authorize(principal, 'list-budgets');
        const result = await budgets.listBudgets({
          teamId: readableTeam(principal, request.teamId),
          project: request.project || undefined,
          pageSize: request.pageSize,
          pageToken: request.pageToken,
        });
        return { budgets: result.budgets.map(budgetMessage), nextPageToken: result.nextPageToken };
      }),

    deleteBudget: (request, context) =>
      mapped(async () => {
        authorize(principalOf(context), 'manage');
        const status = await budgets.deleteBudget({ teamId: request.teamId, project: request.project });
        return { budget: budgetMessage(status) };
      }),

    querySpend: (request, context) =>
      mapped(async () => {
        const principal = principalOf(context);
        authorize(principal, 'read-spend');
        const result = await queries.querySpend({
          teamId: readableTeam(principal, request.teamId),
          project: request.project || undefined,
          start: optionalTime(request.startTime, 'start_time'),
          end: optionalTime(request.endTime, 'end_time'),
          groupBy: request.groupBy,
          pageSize: request.pageSize,
          pageToken: request.pageToken,
        });
        return {
          rows: result.rows.map((row) => ({
            group: row.group,
            requestCount: row.requestCount,
            usage: {
              inputTokens: row.inputTokens,
              outputTokens: row.outputTokens,
              cachedInputTokens: row.cachedInputTokens,
              reasoningTokens: row.reasoningTokens,
              cacheWriteInputTokens: row.cacheWriteInputTokens,
            },
            costNanosUsd: row.costNanos,
            baselineCostNanosUsd: row.baselineCostNanos,
            estimatedNanosUsd: row.estimatedCostNanos,
          })),
          nextPageToken: result.nextPageToken,
        };
      }),

    querySavings: (request, context) =>
      mapped(async () => {
        const principal = principalOf(context);
        authorize(principal, 'read-spend');
        const result = await queries.querySavings({
          teamId: readableTeam(principal, request.teamId),
          start: optionalTime(request.startTime, 'start_time'),
          end: optionalTime(request.endTime, 'end_time'),
          pageSize: request.pageSize,
          pageToken: request.pageToken,
        });
        const row = (day: (typeof result.rows)[number]) => ({
          teamId: day.teamId,
          day: day.day,
          actualNanosUsd: day.actualNanos,
          baselineNanosUsd: day.baselineNanos,
          savedNanosUsd: day.savedNanos,
          requestCount: day.requestCount,
        });
        return { rows: result.rows.map(row), nextPageToken: result.nextPageToken, total: row(result.total) };
      }),

    queryCapacityCost: (request, context) =>
      mapped(async () => {
        const principal = principalOf(context);
        authorize(principal, 'read-spend');
        const result = await queries.queryCapacityCost({
          deployment: request.deployment || undefined,
          visibleTeamId: principal.role === 'team' ? principal.teamId : undefined,
          start: optionalTime(request.startTime, 'start_time'),
          end: optionalTime(request.endTime, 'end_time'),
          pageSize: request.pageSize,
          pageToken: request.pageToken,
        });
        return {
          rows: result.rows.map((share) => ({
            deployment: share.deployment,
            hourStartTime: timestampFromDate(share.hourStart),
            teamId: share.teamId,
            tokens: share.tokens,
            attributedNanosUsd: share.attributedNanos,
          })),
          nextPageToken: result.nextPageToken,
        };
      }),

    listPrices: (request, context) =>
      mapped(async () => {
        authorize(principalOf(context), 'read-prices');
        const result = await priceBook.list({
          asOf: optionalTime(request.asOfTime, 'as_of_time'),
          provider: request.provider || undefined,
          pageSize: request.pageSize,
          pageToken: request.pageToken,
        });
        return { prices: result.entries.map(priceEntryMessage), nextPageToken: result.nextPageToken };
      }),

    upsertPrices: (request, context) =>
      mapped(async () => {
        authorize(principalOf(context), 'manage');
        const written = await priceBook.upsert(request.requestId, request.prices.map(priceEntryFromMessage));
        return { written };
      }),

    upsertTeam: (request, context) =>
      mapped(async () => {
        authorize(principalOf(context), 'manage');
        if (!request.team) throw new InvalidFieldError('team', 'must be set');
        const stored = await teams.upsert({ teamId: request.team.teamId, displayName: request.team.displayName, baselineModel: request.team.baselineModel });
        return { team: teamMessage(stored) };
      }),

    listTeams: (request, context) =>
      mapped(async () => {
        const principal = principalOf(context);
        authorize(principal, 'read-teams');
        const result = await teams.list({
          pageSize: request.pageSize,
          pageToken: request.pageToken,
          onlyTeamId: principal.role === 'team' ? principal.teamId : undefined,
        });
        return { teams: result.teams.map(teamMessage), nextPageToken: result.nextPageToken };
      }),
  };
}
