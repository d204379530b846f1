/**
 * Budget leases: one ReserveBudget holds budget for many requests of a (team, project), and the router
 * admits those requests in memory, so the request path no longer waits for billing (docs/router.md,
 * "Budget leases").
 *
 * Why billing still never overshoots: a lease-admitted request's usage row carries no reservation id,
 * so billing adds its actual cost to spent while the lease's whole amount stays reserved: for a while
 * the request is counted twice. A lease is returned (SettleBudget 0) only once it admits no more
 * requests, every request it admitted has ended, and billing has acknowledged every usage row written
 * by then. Returning it earlier would leave those rows' cost counted nowhere until they arrive.
 */
import { randomBytes } from 'node:crypto';
import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { UsageOutbox } from './usage-outbox';

// After a lease was refused or billing could not be asked, requests of the key take their own holds this long.
const RETRY_AFTER_MS = 1000;
// Leases a request waits for before it takes its own hold (a burst larger than this many leases).
const MAX_WAITS = 10;
// (team, project) pairs remembered at most: callers choose project names, so the map must be bounded.
const MAX_KEYS = 10_000;

/** How big leases are, when the router takes them and how long they live (config `budget.lease`). */
export interface BudgetLeaseSettings {
  /** A lease holds this many estimates of the request that takes it… */
  requests: number;
  /** …and at least this much, nano-USD. */
  minNanosUsd: bigint;
  /** A lease is at most the remaining budget / headroom, so leasing stops well before the budget's edge. */
  headroom: number;
  /** No lease smaller than this many estimates: closer to the edge every request takes its own hold (exact). */
  minRequests: number;
  /** How long a lease admits requests, ms. */
  termMs: number;
  /** The lease's hold lifetime in billing, ms: its term plus the longest hold a request under it may need. */
  ttlMs: number;
}

/** When usage rows have reached billing: what a lease waits for before it is returned. */
export interface UsageDelivery {
  /** A mark that covers every usage row made durable so far. */
  mark(): number;
  /** True once billing has acknowledged every row covered by `mark`. */
  delivered(mark: number): boolean;
}

/**
 * Usage delivery read from the outbox's counters: the shipper acknowledges records in log order
 * (those recovered at open first, then the appended ones), only after billing has answered for them.
 */
export function usageDeliveryOf(outbox: Pick<UsageOutbox, 'stats'>): UsageDelivery {
  return {
    mark: () => {
      const stats = outbox.stats();
      return stats.recovered + stats.appended;
    },
    delivered: (mark) => outbox.stats().acknowledged >= mark,
  };
}

/** Billing's answer to a lease's ReserveBudget. */
export type LeaseGrant =
  | { kind: 'granted'; reservationId: string; remainingNanos: bigint }
  /** Billing answered no (the lease does not fit, the team is unknown…): requests take their own holds. */
  | { kind: 'refused'; why: string }
  /** Billing could not be asked (unreachable, timed out, breaker open). */
  | { kind: 'unreachable'; why: string };

/** A request admitted under a lease. Exactly one of finish or release counts; later calls do nothing. */
export interface LeaseAdmission {
  /** The lease's id: the request id its ReserveBudget was made under. */
  readonly leaseId: string;
  /** What the request counts against the lease, nano-USD. */
  readonly amountNanos: bigint;
  /** The request is over, and its usage row, if it wrote one, is durable in the outbox. */
  finish(): void;
  /** The request consumed nothing: its amount goes back to the lease. */
  release(): void;
}

/** What to do with a request. */
export type LeaseDecision =
  | { kind: 'admitted'; admission: LeaseAdmission }
  /** Take a per-request hold, as without leases. */
  | { kind: 'perRequest' }
  /** A lease was needed and billing could not be asked: the budget failure mode applies. */
  | { kind: 'unreachable'; why: string };

/** The budget a request needs. */
export interface LeaseRequest {
  teamId: string;
  project: string;
  /** The request's estimated maximum cost, nano-USD (positive). */
  amountNanos: bigint;
  /** How long the request's own hold would have to live (its deadline + the usage grace), ms. */
  ttlMs: number;
}

/** The leases of one router process. */
export interface BudgetLeases {
  /** Admits a request in memory, waiting only when a lease for its key is being acquired. */
  admit(request: LeaseRequest): Promise<LeaseDecision>;
  /** Learns the remaining budget of a key from a per-request hold (-1: no budget set). */
  observe(teamId: string, project: string, remainingNanos: bigint): void;
  /** Stops admitting; returns every lease whose usage has reached billing, within `timeoutMs`. */
  close(timeoutMs: number): Promise<void>;
}

/** Options for createBudgetLeases. */
export interface BudgetLeasesOptions {
  settings: BudgetLeaseSettings;
  delivery: UsageDelivery;
  /** ReserveBudget for a lease (through the budget gate's breaker); never rejects. */
  acquire(hold: { requestId: string; teamId: string; project: string; amountNanos: bigint; ttlMs: number }): Promise<LeaseGrant>;
  /** SettleBudget(0) for a lease; never rejects. */
  giveBack(reservationId: string): Promise<void>;
  /** Whether billing counts as reachable; no lease is asked for otherwise. */
  billingUp(): boolean;
  /** How often retiring leases are checked for delivery, ms; default 50. */
  sweepMs?: number;
  /** Clock, ms (tests). */
  now?: () => number;
  logger?: Logger;
}

interface Lease {
  readonly id: string;
  readonly reservationId: string;
  readonly key: KeyState;
  readonly amount: bigint;
  used: bigint;
  readonly createdAt: number;
  readonly termEndsAt: number;
  /** When billing may release it: measured from before the ReserveBudget was sent, so never later than billing's. */
  readonly expiresAt: number;
  inFlight: number;
  retired: boolean;
  /** A delivery mark covering the usage rows of every request that finished under it; undefined: none did. */
  mark?: number;
}

interface KeyState {
  readonly teamId: string;
  readonly project: string;
  /** Leases admitting requests, oldest first (used first). */
  admitting: Lease[];
  /** The lease being asked for: resolves to why billing could not be asked, or undefined. */
  acquiring?: Promise<string | undefined>;
  /** What billing last said remains after a hold of this key (-1: no budget); undefined until it said. */
  remaining?: bigint;
  /** No lease is asked for before this time. */
  retryAt: number;
}

const PER_REQUEST: LeaseDecision = { kind: 'perRequest' };

/** Waits for `promise`, but at most `ms`. */
async function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([promise, new Promise((resolve) => (timer = setTimeout(resolve, Math.max(0, ms))))]);
  clearTimeout(timer);
}
const maxOf = (a: bigint, b: bigint) => (a > b ? a : b);
const minOf = (a: bigint, b: bigint) => (a < b ? a : b);

/** Creates the leases of a router process; createBudgetGate uses it when leases are configured. */
export function createBudgetLeases(options: BudgetLeasesOptions): BudgetLeases {
  const { settings, delivery, logger } = options;
  const now = options.now ?? Date.now;
  const sweepMs = options.sweepMs ?? 50;
  const instance = randomBytes(8).toString('hex');
  const keys = new Map<string, KeyState>();
  // Every lease still held in billing by this process, admitting or retiring.
  const held = new Set<Lease>();
  const returning = new Set<Promise<void>>();
  // Since start, for the shutdown log line.
  const counters = { granted: 0, returned: 0, expired: 0, admitted: 0 };
  let sequence = 0;
  let sweeper: NodeJS.Timeout | undefined;
  let closed = false;

  const keyOf = (teamId: string, project: string) => JSON.stringify([teamId, project]);

  /** A new key, evicting the oldest one that holds nothing when the map is full. */
  const remember = (teamId: string, project: string): KeyState => {
    if (keys.size >= MAX_KEYS) {
      for (const [key, state] of keys) {
        if (state.admitting.length === 0 && !state.acquiring) {
          keys.delete(key);
          break;
        }
      }
    }
    const state: KeyState = { teamId, project, admitting: [], retryAt: 0 };
    keys.set(keyOf(teamId, project), state);
    return state;
  };

  /** The lease to ask for, or undefined when it would be too small to be worth it (near the budget's edge). */
  const leaseSize = (remaining: bigint, estimate: bigint): bigint | undefined => {
    const desired = maxOf(BigInt(settings.requests) * estimate, settings.minNanosUsd);
    const size = remaining < 0n ? desired : minOf(desired, remaining / BigInt(settings.headroom));
    return size >= BigInt(settings.minRequests) * estimate ? size : undefined;
  };

  const retire = (lease: Lease) => {
    lease.retired = true;
    lease.key.admitting = lease.key.admitting.filter((l) => l !== lease);
  };

  const giveBack = (lease: Lease) => {
    held.delete(lease);
    counters.returned++;
    const returned = options.giveBack(lease.reservationId).finally(() => returning.delete(returned));
    returning.add(returned);
  };

  /** Retires leases past their term, returns retired ones whose usage billing has, forgets expired ones. */
  const sweep = () => {
    const at = now();
    for (const lease of held) {
      if (!lease.retired && at >= lease.termEndsAt) retire(lease);
      if (!lease.retired) continue;
      if (lease.inFlight === 0 && (lease.mark === undefined || delivery.delivered(lease.mark))) {
        giveBack(lease);
        continue;
      }
      if (at >= lease.expiresAt) {
        held.delete(lease);
        counters.expired++;
        logger?.warn(
          { lease_id: lease.id, team: lease.key.teamId, in_flight: lease.inFlight },
          'a budget lease expired before every usage row it covers reached billing; billing released it by its TTL',
        );
      }
    }
    if (held.size === 0 && sweeper) {
      clearInterval(sweeper);
      sweeper = undefined;
    }
  };

  const hold = (lease: Lease) => {
    held.add(lease);
    sweeper ??= setInterval(sweep, sweepMs).unref();
  };

  /** The oldest admitting lease with room for the request; a nearly used-up one that has none stops admitting. */
  const leaseFor = (state: KeyState, request: LeaseRequest): Lease | undefined => {
    const at = now();
    for (const lease of [...state.admitting]) {
      if (at >= lease.termEndsAt) {
        retire(lease);
        continue;
      }
      if (at + request.ttlMs > lease.expiresAt) continue;
      if (lease.used + request.amountNanos <= lease.amount) return lease;
      if (lease.used * 2n >= lease.amount) retire(lease);
    }
    return undefined;
  };

  /** Asks billing for a lease; resolves to why billing could not be asked, if it could not. Never rejects. */
  const acquire = async (state: KeyState, amount: bigint): Promise<string | undefined> => {
    const requestId = `lease:${instance}:${++sequence}`;
    const sentAt = now();
    const grant = await options
      .acquire({ requestId, teamId: state.teamId, project: state.project, amountNanos: amount, ttlMs: settings.ttlMs })
      .catch((error: unknown): LeaseGrant => ({ kind: 'unreachable', why: (error as Error).message }));
    if (grant.kind !== 'granted') {
      state.retryAt = now() + RETRY_AFTER_MS;
      // A refused lease means the budget shrank since billing last said: learn it again from a per-request hold.
      if (grant.kind === 'refused') state.remaining = undefined;
      logger?.info({ team: state.teamId, project: state.project, why: grant.why }, 'no budget lease; requests take their own holds');
      return grant.kind === 'unreachable' ? grant.why : undefined;
    }
    state.remaining = grant.remainingNanos;
    const lease: Lease = {
      id: requestId,
      reservationId: grant.reservationId,
      key: state,
      amount,
      used: 0n,
      createdAt: sentAt,
      termEndsAt: sentAt + settings.termMs,
      expiresAt: sentAt + settings.ttlMs,
      inFlight: 0,
      retired: false,
    };
    counters.granted++;
    hold(lease);
    // Others spent the budget meanwhile, or the router is stopping: hand it back; nothing was admitted under it.
    // Hysteresis: a lease is sized to leave (headroom - 1) leases of room, but is kept while half the headroom
    // remains, so the budget moving a little since the router last heard does not waste the grant.
    if (closed || (grant.remainingNanos >= 0n && grant.remainingNanos < BigInt(Math.floor(settings.headroom / 2)) * amount)) {
      retire(lease);
      giveBack(lease);
      return undefined;
    }
    state.admitting.push(lease);
    return undefined;
  };

  /** Starts asking for a lease for the key, one at a time; undefined when none may or should be asked for. */
  const startAcquiring = (state: KeyState, request: LeaseRequest): Promise<string | undefined> | undefined => {
    if (closed || state.acquiring || state.remaining === undefined || now() < state.retryAt || request.ttlMs > settings.ttlMs || !options.billingUp()) return undefined;
    const amount = leaseSize(state.remaining, request.amountNanos);
    if (amount === undefined) return undefined;
    const acquiring = acquire(state, amount).finally(() => {
      state.acquiring = undefined;
    });
    state.acquiring = acquiring;
    return acquiring;
  };

  /** Renews in the background once the leases' room is below half the newest lease, or half its term is over. */
  const renewIfDue = (state: KeyState, request: LeaseRequest) => {
    const newest = state.admitting.at(-1);
    if (!newest || state.acquiring) return;
    const room = state.admitting.reduce((sum, l) => sum + (l.amount - l.used), 0n);
    if (room * 2n >= newest.amount && now() < newest.createdAt + settings.termMs / 2) return;
    // Outside the request's trace: no request waits for it.
    void context.with(ROOT_CONTEXT, () => startAcquiring(state, request));
  };

  const admitUnder = (lease: Lease, amount: bigint): LeaseAdmission => {
    lease.used += amount;
    lease.inFlight++;
    counters.admitted++;
    let ended = false;
    const end = () => {
      if (ended) return false;
      ended = true;
      lease.inFlight--;
      return true;
    };
    return {
      leaseId: lease.id,
      amountNanos: amount,
      finish: () => {
        if (end()) lease.mark = delivery.mark();
      },
      release: () => {
        if (end()) lease.used -= amount;
      },
    };
  };

  return {
    async admit(request) {
      if (closed) return PER_REQUEST;
      const state = keys.get(keyOf(request.teamId, request.project));
      // The key's first request takes its own hold, whose answer says how much budget remains.
      if (!state) {
        remember(request.teamId, request.project);
        return PER_REQUEST;
      }
      let lease = leaseFor(state, request);
      // Wait for the lease being asked for; in a burst, those it has no room for wait for the next one.
      for (let round = 0; !lease && round < MAX_WAITS; round++) {
        const acquiring = state.acquiring ?? startAcquiring(state, request);
        if (!acquiring) return PER_REQUEST;
        const unreachable = await acquiring;
        lease = leaseFor(state, request);
        if (!lease && unreachable !== undefined) return { kind: 'unreachable', why: unreachable };
      }
      if (!lease) return PER_REQUEST;
      const admission = admitUnder(lease, request.amountNanos);
      renewIfDue(state, request);
      return { kind: 'admitted', admission };
    },

    observe(teamId, project, remainingNanos) {
      const state = keys.get(keyOf(teamId, project));
      if (state) state.remaining = remainingNanos;
    },

    async close(timeoutMs) {
      closed = true;
      const deadline = Date.now() + timeoutMs;
      await within(Promise.all([...keys.values()].map((s) => s.acquiring)), timeoutMs);
      for (const lease of held) if (!lease.retired) retire(lease);
      for (;;) {
        sweep();
        if (held.size === 0 || Date.now() >= deadline) break;
        await new Promise((resolve) => setTimeout(resolve, Math.min(sweepMs, deadline - Date.now())));
      }
      if (sweeper) clearInterval(sweeper);
      sweeper = undefined;
      await within(Promise.all(returning), deadline - Date.now());
      if (held.size > 0) logger?.warn({ leases: held.size }, 'budget leases whose usage has not reached billing are left to expire by their TTL');
      logger?.info(counters, 'budget leases closed');
    },
  };
}
