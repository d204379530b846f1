import { status } from '@grpc/grpc-js';
import { randomBytes } from 'node:crypto';
import { resourceExhausted, ServiceFailure, unavailable } from '@switchyard/grpc-kit';
import { SwitchyardError, type BillingServiceClient } from '@switchyard/sdk';
import { BrokenCircuitError, CircuitState, ConsecutiveBreaker, circuitBreaker, handleAll } from 'cockatiel';
import type { Logger } from 'pino';
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
  /** Billing's reservation id; empty when the budget could not be checked (fail-open). */
  reservationId: string;
  /** False when billing was unreachable and the request went ahead unchecked. */
  checked: boolean;
  /** The amount held, nano-USD (0 when unchecked). */
  heldNanos: bigint;
}

/** Reserve before the upstream call; release when nothing is consumed. Settling goes with the usage row. */
export interface BudgetGate {
  /**
   * Holds `amountNanos` for the request; RESOURCE_EXHAUSTED (QuotaFailure) when the budget is spent;
   * ALREADY_EXISTS (REQUEST_ALREADY_SERVED) when billing already recorded this request id as served.
   */
  reserve(input: { requestId: string; teamId: string; project: string; amountNanos: bigint; ttlMs: number }): Promise<BudgetHold>;
  /**
   * Releases a hold (SettleBudget with 0), retrying a few times; the hold's TTL is the backstop.
   * Nobody needs to wait: the promise (which never rejects) settles when billing confirmed or the retries ran out.
   */
  release(reservationId: string): Promise<void>;
  /** Whether billing is currently treated as down for reservations. */
  billingDown(): boolean;
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
}

/**
 * Creates the budget gate. Billing being unreachable is not the caller's fault: the configured
 * failure mode decides, and a breaker makes that decision immediate while billing stays down
 * instead of costing every request a timeout.
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

  return {
    async reserve(input) {
      if (breaker.state === CircuitState.HalfOpen) return unchecked(input.teamId, 'billing is being probed');
      const amountNanosUsd = input.amountNanos > 0n ? input.amountNanos : 1n;
      const hold = (requestId: string) =>
        breaker.execute(async () => {
          try {
            return await options.billing.reserveBudget(
              {
                requestId,
                teamId: input.teamId,
                project: input.project,
                amountNanosUsd,
                ttl: durationFromMs(Math.min(Math.max(input.ttlMs, 1000), MAX_HOLD_TTL_MS)),
              },
              { timeoutMs },
            );
          } catch (error) {
            // A refusal is billing working as intended: it must not count as billing being down.
            if (error instanceof SwitchyardError && DEFINITIVE.has(error.code)) return error;
            throw error;
          }
        });
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
        if (!(response instanceof SwitchyardError)) return { reservationId: response.reservationId, checked: true, heldNanos: amountNanosUsd };
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
    },

    async release(reservationId) {
      if (!reservationId) return;
      for (let attempt = 0; attempt < 3; attempt++) {
        try {
          await options.billing.settleBudget({ reservationId, actualNanosUsd: 0n }, { timeoutMs: 2000 });
          return;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
        }
      }
      options.logger?.warn({ reservation_id: reservationId }, 'could not release a budget hold; it expires with its TTL');
    },

    billingDown: () => breaker.state === CircuitState.Open || breaker.state === CircuitState.HalfOpen,
  };
}
