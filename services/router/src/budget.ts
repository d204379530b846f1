import { status } from '@grpc/grpc-js';
import { randomBytes } from 'node:crypto';
import { resourceExhausted, ServiceFailure, unavailable } from '@switchyard/grpc-kit';
import { SwitchyardError, type BillingServiceClient } from '@switchyard/sdk';
import { BrokenCircuitError, CircuitState, ConsecutiveBreaker, circuitBreaker, handleAll } from 'cockatiel';
import type { Logger } from 'pino';
import { createBudgetLeases, type BudgetLeaseSettings, type LeaseAdmission, type LeaseGrant, type UsageDelivery } from './budget-lease';
import { durationFromMs } from './policy/route-decision';
import { alreadyServed } from './served-requests';

// Answers that mean billing is up and has decided; everything else counts as billing being unreachable.
const DEFINITIVE = new Set<number>([status.RESOURCE_EXHAUSTED, status.INVALID_ARGUMENT, status.FAILED_PRECONDITION, status.NOT_FOUND, status.ALREADY_EXISTS, status.OUT_OF_RANGE]);
// Billing accepts holds of at most 24 hours.
const MAX_HOLD_TTL_MS = 23 * 3600_000;

/** What to do when billing cannot be asked for a budget hold. */
export type BudgetFailureMode = 'failOpen' | 'failClosed';

/** A granted hold, or the record that none could be taken. */
export interface BudgetHold {
  /**
   * Billing's reservation id, which the usage row carries; empty when the budget could not be checked
   * (fail-open) and under a lease (the row must not settle the lease).
   */
  reservationId: string;
  /** False when billing was unreachable and the request went ahead unchecked. */
  checked: boolean;
  /** The amount held (or counted against the lease), nano-USD; 0 when unchecked. */
  heldNanos: bigint;
  /** Set when the request was admitted under a budget lease, without a call to billing. */
  lease?: LeaseAdmission;
}

/** Reserve before the upstream call; release when nothing is consumed. Settling goes with the usage row. */
export interface BudgetGate {
  /**
   * Holds `amountNanos` for the request; RESOURCE_EXHAUSTED (QuotaFailure) when the budget is spent;
   * ALREADY_EXISTS (REQUEST_ALREADY_SERVED) when billing already recorded this request id as served.
   * A `leasable` request (its id is the router's own) may be admitted under a lease instead.
   */
  reserve(input: { requestId: string; teamId: string; project: string; amountNanos: bigint; ttlMs: number; leasable?: boolean }): Promise<BudgetHold>;
  /**
   * Releases a hold: nothing was consumed. A per-request hold is settled with 0 (SettleBudget), retried a
   * few times, its TTL the backstop; nobody needs to wait (the promise never rejects). A lease gets the
   * amount back at once.
   */
  release(hold: BudgetHold): Promise<void>;
  /** The request is over and its usage row, if any, is durable: a lease may be returned once billing has it. */
  finish(hold: BudgetHold): void;
  /** Shutdown, after the outbox was drained: returns the leases whose usage billing has, within `timeoutMs`. */
  close(timeoutMs: number): Promise<void>;
  /** Whether billing is currently treated as down for reservations. */
  billingDown(): boolean;
}

/** Budget leases for the gate (docs/router.md, "Budget leases"). */
export interface BudgetGateLeaseOptions {
  settings: BudgetLeaseSettings;
  /** When usage rows reach billing (usageDeliveryOf(outbox)). */
  delivery: UsageDelivery;
  /** How often retiring leases are checked for delivery, ms; default 50. */
  sweepMs?: number;
  /** Clock, ms (tests). */
  now?: () => number;
}

/** Options for createBudgetGate. */
export interface BudgetGateOptions {
  billing: Pick<BillingServiceClient, 'reserveBudget' | 'settleBudget'>;
  /** failOpen: serve unchecked while billing is unreachable; failClosed: refuse with UNAVAILABLE. */
  failureMode: BudgetFailureMode;
  /** Timeout of one ReserveBudget call, ms; default 1000. */
  timeoutMs?: number;
  /** Consecutive failures after which billing counts as down; default 5. */
  breakerThreshold?: number;
  /** How long billing counts as down before one reservation probes it again, ms; default 5000. */
  breakerHalfOpenMs?: number;
  logger?: Logger;
  /** Told about every unchecked (fail-open) request, for a metric. */
  onUnchecked?: (teamId: string) => void;
  /** Admit requests with router-made ids under budget leases; without it every request takes its own hold. */
  lease?: BudgetGateLeaseOptions;
}

/**
 * Creates the budget gate. Billing being unreachable is not the caller's fault: the configured
 * failure mode decides, and a breaker makes that decision immediate while billing stays down
 * instead of costing every request a timeout. With `lease`, requests whose id the router made up are
 * admitted under budget leases (budget-lease.ts), which ask billing through the same breaker.
 */
export function createBudgetGate(options: BudgetGateOptions): BudgetGate {
  const timeoutMs = options.timeoutMs ?? 1000;
  const breaker = circuitBreaker(handleAll, {
    halfOpenAfter: options.breakerHalfOpenMs ?? 5000,
    breaker: new ConsecutiveBreaker(options.breakerThreshold ?? 5),
  });
  breaker.onBreak(() => options.logger?.warn({ mode: options.failureMode }, 'billing unreachable for budget holds; applying the budget failure mode'));
  breaker.onReset(() => options.logger?.info('billing reachable again for budget holds'));

  const unchecked = (teamId: string, why: string): BudgetHold => {
    if (options.failureMode === 'failClosed') {
      throw unavailable(`the budget of team ${teamId} cannot be checked (${why}); retry shortly`, 'BUDGET_UNCHECKABLE', { retryDelayMs: 1000 });
    }
    options.onUnchecked?.(teamId);
    return { reservationId: '', checked: false, heldNanos: 0n };
  };

  /** One ReserveBudget through the breaker; a refusal is returned, not thrown: it means billing is up. */
  const askBilling = (hold: { requestId: string; teamId: string; project: string; amountNanos: bigint; ttlMs: number }) =>
    breaker.execute(async () => {
      try {
        return await options.billing.reserveBudget(
          {
            requestId: hold.requestId,
            teamId: hold.teamId,
            project: hold.project,
            amountNanosUsd: hold.amountNanos,
            ttl: durationFromMs(Math.min(Math.max(hold.ttlMs, 1000), MAX_HOLD_TTL_MS)),
          },
          { timeoutMs },
        );
      } catch (error) {
        // A refusal is billing working as intended: it must not count as billing being down.
        if (error instanceof SwitchyardError && DEFINITIVE.has(error.code)) return error;
        throw error;
      }
    });

  /** SettleBudget(0), retried a few times; the hold's TTL is the backstop. Never rejects. */
  const settleZero = async (reservationId: string) => {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await options.billing.settleBudget({ reservationId, actualNanosUsd: 0n }, { timeoutMs: 2000 });
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
      }
    }
    options.logger?.warn({ reservation_id: reservationId }, 'could not release a budget hold; it expires with its TTL');
  };

  const leases =
    options.lease &&
    createBudgetLeases({
      ...options.lease,
      acquire: async (hold): Promise<LeaseGrant> => {
        try {
          const response = await askBilling(hold);
          if (response instanceof SwitchyardError) return { kind: 'refused', why: `billing answered ${response.codeName}: ${response.message}` };
          return { kind: 'granted', reservationId: response.reservationId, remainingNanos: response.remainingNanosUsd };
        } catch (error) {
          return { kind: 'unreachable', why: error instanceof SwitchyardError ? `billing answered ${error.codeName}` : 'billing is unreachable' };
        }
      },
      giveBack: settleZero,
      billingUp: () => breaker.state === CircuitState.Closed,
      logger: options.logger,
    });

  /** Today's hold: one ReserveBudget under the request's own id. */
  const reservePerRequest = async (input: { requestId: string; teamId: string; project: string; ttlMs: number }, amountNanos: bigint): Promise<BudgetHold> => {
    if (breaker.state === CircuitState.HalfOpen) return unchecked(input.teamId, 'billing is being probed');
    const hold = (requestId: string) => askBilling({ requestId, teamId: input.teamId, project: input.project, amountNanos, ttlMs: input.ttlMs });
    try {
      let response = await hold(input.requestId);
      // Billing holds a successful usage row for this request id: it was served (by any replica, before any restart).
      if (response instanceof SwitchyardError && response.code === status.ALREADY_EXISTS && response.reason === 'REQUEST_ALREADY_SERVED') {
        throw alreadyServed(input.requestId, 'billing has already recorded its usage');
      }
      // The caller reused a request id for a request with a different estimate: hold under a fresh id.
      if (response instanceof SwitchyardError && response.code === status.ALREADY_EXISTS) {
        response = await hold(`${input.requestId.slice(0, 111)}~${randomBytes(8).toString('hex')}`);
      }
      if (!(response instanceof SwitchyardError)) {
        leases?.observe(input.teamId, input.project, response.remainingNanosUsd);
        return { reservationId: response.reservationId, checked: true, heldNanos: amountNanos };
      }
      if (response.code === status.RESOURCE_EXHAUSTED) {
        const violations = response.details.quotaFailure?.violations.map((v) => ({ subject: v.subject, description: v.description })) ?? [];
        throw resourceExhausted(`the budget of team ${input.teamId} is spent: ${response.message}`, {
          reason: 'BUDGET_EXHAUSTED',
          quotaViolations: violations.length > 0 ? violations : [{ subject: `team:${input.teamId}`, description: response.message }],
          metadata: { team_id: input.teamId, ...(input.project ? { project: input.project } : {}) },
        });
      }
      // Billing answered and said no for another reason (e.g. the team is unknown to billing): not servable.
      throw new ServiceFailure(status.FAILED_PRECONDITION, `billing refused a budget hold for team ${input.teamId}: ${response.message}`, {
        reason: 'BUDGET_HOLD_REFUSED',
        metadata: { team_id: input.teamId, billing_code: response.codeName },
      });
    } catch (error) {
      if (error instanceof BrokenCircuitError) return unchecked(input.teamId, 'billing is unreachable');
      if (error instanceof SwitchyardError) {
        options.logger?.warn({ code: error.codeName, err: error.message, team: input.teamId }, 'budget hold failed');
        return unchecked(input.teamId, `billing answered ${error.codeName}`);
      }
      throw error;
    }
  };

  return {
    async reserve(input) {
      const amountNanos = input.amountNanos > 0n ? input.amountNanos : 1n;
      if (leases && input.leasable) {
        const decision = await leases.admit({ teamId: input.teamId, project: input.project, amountNanos, ttlMs: input.ttlMs });
        if (decision.kind === 'admitted') return { reservationId: '', checked: true, heldNanos: amountNanos, lease: decision.admission };
        if (decision.kind === 'unreachable') return unchecked(input.teamId, decision.why);
      }
      return reservePerRequest(input, amountNanos);
    },

    async release(hold) {
      if (hold.lease) return hold.lease.release();
      if (hold.reservationId) await settleZero(hold.reservationId);
    },

    finish: (hold) => hold.lease?.finish(),

    close: async (closeTimeoutMs) => leases?.close(closeTimeoutMs),

    billingDown: () => breaker.state === CircuitState.Open || breaker.state === CircuitState.HalfOpen,
  };
}
