// Test support: an in-process BillingService over real gRPC with billing's idempotency and budget
// rules, whose state outlives a stop/start on the same port (the "billing is down" tests).
import { create } from '@bufbuild/protobuf';
import { timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import { status, type ServerCredentials } from '@grpc/grpc-js';
import { billing, common } from '@switchyard/contracts';
import { createLogger, resourceExhausted, ServiceFailure, startGrpcServer, type RunningGrpcServer } from '@switchyard/grpc-kit';
import { computeCost, defaultPriceCatalog, type PriceCatalog } from '@switchyard/pricing';
import type { BillingServiceImplementation } from '@switchyard/sdk';
import { decodeTraceLinks, TRACE_LINKS_METADATA_KEY } from '@switchyard/telemetry';

/** One ledger row. */
export interface FakeLedgerRow {
  record: billing.UsageRecord;
  cost: common.Cost;
  content: string;
}

/** Billing's state, shared across restarts. */
export interface FakeBillingState {
  ledger: Map<string, FakeLedgerRow>;
  /** Team budgets (limit per period), nano-USD. */
  budgets: Map<string, bigint>;
  spent: Map<string, bigint>;
  holds: Map<string, { teamId: string; amount: bigint; requestId: string; state: 'held' | 'settled' | 'recorded' }>;
  calls: { recordUsage: number; reserveBudget: number; settleBudget: number };
  /** The traceparent each recorded row arrived with (RecordUsage's `switchyard-trace-links` metadata), by request id. */
  traceparents: Map<string, string>;
}

/** Fresh state. */
export function createFakeBillingState(): FakeBillingState {
  return {
    ledger: new Map(),
    budgets: new Map(),
    spent: new Map(),
    holds: new Map(),
    calls: { recordUsage: 0, reserveBudget: 0, settleBudget: 0 },
    traceparents: new Map(),
  };
}

/** A running fake billing. */
export interface FakeBilling {
  readonly address: string;
  readonly port: number;
  readonly state: FakeBillingState;
  stop(): Promise<void>;
}

const reserved = (state: FakeBillingState, teamId: string) => {
  let sum = 0n;
  for (const hold of state.holds.values()) if (hold.teamId === teamId && hold.state === 'held') sum += hold.amount;
  return sum;
};

/** limit − spent − held, as billing answers it; -1 when the team has no budget. */
const remainingOf = (state: FakeBillingState, teamId: string) => {
  const limit = state.budgets.get(teamId);
  return limit === undefined ? -1n : limit - (state.spent.get(teamId) ?? 0n) - reserved(state, teamId);
};

function contentOf(record: billing.UsageRecord): string {
  return JSON.stringify(record, (key, value) => (key === '$typeName' ? undefined : typeof value === 'bigint' ? value.toString() : value));
}

function implementation(state: FakeBillingState, catalog: PriceCatalog): BillingServiceImplementation {
  const unimplemented = async () => {
    throw new ServiceFailure(status.UNIMPLEMENTED, 'not in the fake');
  };
  return {
    async recordUsage(request, context) {
      state.calls.recordUsage++;
      const links = decodeTraceLinks(String(context.metadata.get(TRACE_LINKS_METADATA_KEY)[0] ?? ''));
      return {
        results: request.records.map((record, i) => {
          const traceparent = links[i];
          if (traceparent) state.traceparents.set(record.requestId, traceparent);
          const content = contentOf(record);
          const seen = state.ledger.get(record.requestId);
          if (seen) {
            return seen.content === content
              ? { requestId: record.requestId, status: billing.RecordStatus.DUPLICATE, cost: seen.cost }
              : { requestId: record.requestId, status: billing.RecordStatus.REJECTED, errorCode: 'ALREADY_EXISTS', errorMessage: 'different content' };
          }
          const at = record.time ? timestampDate(record.time) : new Date();
          const price = catalog.priceAt({ provider: record.model!.provider, model: record.model!.model, deployment: record.model!.deployment }, at);
          if (!price) return { requestId: record.requestId, status: billing.RecordStatus.REJECTED, errorCode: 'INVALID_ARGUMENT', errorMessage: 'no price' };
          const tokens = {
            inputTokens: record.usage?.inputTokens ?? 0n,
            outputTokens: record.usage?.outputTokens ?? 0n,
            cachedInputTokens: record.usage?.cachedInputTokens ?? 0n,
            cacheWriteInputTokens: record.usage?.cacheWriteInputTokens ?? 0n,
          };
          const baselineName = record.baselineModel || `${record.model!.provider}/${record.model!.model}`;
          const slash = baselineName.indexOf('/');
          const baselinePrice = catalog.priceAt({ provider: baselineName.slice(0, slash), model: baselineName.slice(slash + 1) }, at) ?? price;
          const cost = create(common.CostSchema, { nanosUsd: computeCost(tokens, price), priceVersion: price.version, baselineNanosUsd: computeCost(tokens, baselinePrice), baselineModel: baselineName });
          state.ledger.set(record.requestId, { record, cost, content });
          state.spent.set(record.teamId, (state.spent.get(record.teamId) ?? 0n) + cost.nanosUsd);
          const hold = record.reservationId ? state.holds.get(record.reservationId) : undefined;
          if (hold) hold.state = 'recorded';
          return { requestId: record.requestId, status: billing.RecordStatus.RECORDED, cost };
        }),
      };
    },
    async reserveBudget(request) {
      state.calls.reserveBudget++;
      // Billing's served-request signal: a successful ledger row of this team under the request id.
      const served = state.ledger.get(request.requestId);
      if (served && served.record.teamId === request.teamId && served.record.outcome === billing.UsageOutcome.SUCCESS) {
        throw new ServiceFailure(status.ALREADY_EXISTS, `request ${request.requestId} was already served`, { reason: 'REQUEST_ALREADY_SERVED', metadata: { request_id: request.requestId } });
      }
      for (const [id, hold] of state.holds) {
        if (hold.requestId !== request.requestId) continue;
        if (hold.amount !== request.amountNanosUsd) throw new ServiceFailure(status.ALREADY_EXISTS, 'request id reused with a different amount');
        return { reservationId: id, remainingNanosUsd: remainingOf(state, request.teamId) };
      }
      if (state.budgets.has(request.teamId)) {
        const remaining = remainingOf(state, request.teamId);
        if (remaining < request.amountNanosUsd) {
          throw resourceExhausted(`budget exhausted for team:${request.teamId}`, {
            reason: 'BUDGET_EXHAUSTED',
            quotaViolations: [{ subject: `team:${request.teamId}`, description: `remaining ${remaining} < requested ${request.amountNanosUsd}` }],
          });
        }
      }
      const reservationId = `rsv_${state.holds.size + 1}`;
      state.holds.set(reservationId, { teamId: request.teamId, amount: request.amountNanosUsd, requestId: request.requestId, state: 'held' });
      return { reservationId, expireTime: timestampFromDate(new Date(Date.now() + 600_000)), remainingNanosUsd: remainingOf(state, request.teamId) };
    },
    async settleBudget(request) {
      state.calls.settleBudget++;
      const hold = state.holds.get(request.reservationId);
      if (!hold) throw new ServiceFailure(status.NOT_FOUND, 'no such reservation');
      const now = hold.state === 'held';
      if (now) {
        hold.state = 'settled';
        state.spent.set(hold.teamId, (state.spent.get(hold.teamId) ?? 0n) + request.actualNanosUsd);
      }
      return { remainingNanosUsd: remainingOf(state, hold.teamId), settledNow: now };
    },
    async listPrices() {
      return {
        prices: catalog.entries().map((p) => ({
          model: { provider: p.provider, model: p.model, deployment: p.deployment ?? '' },
          price: {
            version: p.version,
            inputNanosUsdPerMtok: p.inputNanosPerMtok,
            outputNanosUsdPerMtok: p.outputNanosPerMtok,
            cachedInputNanosUsdPerMtok: p.cachedInputNanosPerMtok,
            cacheWriteInputNanosUsdPerMtok: p.cacheWriteInputNanosPerMtok,
            capacityNanosUsdPerHour: p.capacityNanosPerHour,
            source: p.source,
          },
          effectiveTime: timestampFromDate(p.effectiveFrom),
          ...(p.effectiveUntil ? { expireTime: timestampFromDate(p.effectiveUntil) } : {}),
        })),
      };
    },
    setBudget: unimplemented,
    getBudget: unimplemented,
    querySpend: unimplemented,
    querySavings: unimplemented,
    queryCapacityCost: unimplemented,
    upsertPrices: unimplemented,
    upsertTeam: unimplemented,
    listTeams: unimplemented,
    listBudgets: unimplemented,
    deleteBudget: unimplemented,
  };
}

/** Starts (or restarts, with the same state and port) the fake billing on 127.0.0.1. */
export async function startFakeBilling(
  options: { state?: FakeBillingState; port?: number; catalog?: PriceCatalog; credentials?: ServerCredentials } = {},
): Promise<FakeBilling> {
  const state = options.state ?? createFakeBillingState();
  const server: RunningGrpcServer = await startGrpcServer({
    name: 'fake-billing',
    address: `127.0.0.1:${options.port ?? 0}`,
    errorDomain: 'billing.switchyard.dev',
    services: [{ service: billing.BillingService, implementation: implementation(state, options.catalog ?? defaultPriceCatalog()) }],
    logger: createLogger({ service: 'fake-billing', level: 'silent' }),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  });
  return { address: server.address, port: server.port, state, stop: () => server.shutdown(50) };
}
