import { BrokenCircuitError, CircuitState, ConsecutiveBreaker, circuitBreaker, handleWhen, IsolatedCircuitError, type CircuitBreakerPolicy } from 'cockatiel';
import { createProviderClient, type ProviderServiceClient } from '@switchyard/sdk';
import type { Logger } from 'pino';
import { clientConnectionOptions } from './client-credentials';
import type { AdapterConfig } from './config';
import type { CircuitView } from './policy/choose-route';

/** One failed attempt; `countsAgainstDeployment` says whether it feeds the circuit breaker. */
export class AttemptFailure extends Error {
  override readonly name = 'AttemptFailure';
  constructor(
    /** gRPC status code of the failure. */
    readonly code: number,
    message: string,
    readonly countsAgainstDeployment: boolean,
    /** The error as thrown by the client, with its details. */
    readonly original: unknown,
  ) {
    super(message);
  }
}

/** The deployment's circuit is open (or probing), so it was not called. */
export class CircuitOpenError extends Error {
  override readonly name = 'CircuitOpenError';
}

/** Options for createAdapterPool. */
export interface AdapterPoolOptions {
  adapters: readonly AdapterConfig[];
  /** Consecutive counted failures that open a deployment's circuit; default 5. */
  consecutiveFailures?: number;
  /** How long an open circuit waits before it lets one probe through, ms; default 10 000. */
  halfOpenAfterMs?: number;
  logger?: Logger;
  /** Told when a circuit opens, probes or closes. */
  onCircuitChange?: (deployment: string, state: 'open' | 'half_open' | 'closed') => void;
}

/** A ProviderService client per adapter and a circuit breaker per deployment. */
export interface AdapterPool {
  /** The client of a configured adapter. */
  client(adapterName: string): ProviderServiceClient;
  /** A configured adapter's host and port (the `server.address` / `server.port` of calls to it). */
  endpoint(adapterName: string): AdapterEndpoint;
  /** A deployment's circuit as routing sees it (an open circuit due for a probe reads `closed`). */
  circuit(deployment: string): CircuitView;
  /**
   * Runs one attempt through the deployment's breaker. Throw AttemptFailure from `call` to report a
   * failure; CircuitOpenError means the deployment was not called.
   */
  attempt<T>(deployment: string, call: () => Promise<T>): Promise<T>;
  close(): void;
}

/** Where an adapter listens. */
export interface AdapterEndpoint {
  host: string;
  port: number;
}

interface Breaker {
  policy: CircuitBreakerPolicy;
  openedAt: number;
}

/** Creates the pool; clients connect lazily. */
export function createAdapterPool(options: AdapterPoolOptions): AdapterPool {
  const halfOpenAfter = options.halfOpenAfterMs ?? 10_000;
  const threshold = options.consecutiveFailures ?? 5;
  const clients = new Map<string, ProviderServiceClient>();
  const endpoints = new Map<string, AdapterEndpoint>();
  for (const adapter of options.adapters) {
    clients.set(adapter.name, createProviderClient(adapter.address, { apiKey: adapter.apiKey, ...clientConnectionOptions(adapter.tls) }));
    const colon = adapter.address.lastIndexOf(':');
    endpoints.set(adapter.name, { host: adapter.address.slice(0, colon), port: Number(adapter.address.slice(colon + 1)) });
  }
  const breakers = new Map<string, Breaker>();

  const breakerFor = (deployment: string): Breaker => {
    let breaker = breakers.get(deployment);
    if (!breaker) {
      const policy = circuitBreaker(
        handleWhen((error) => error instanceof AttemptFailure && error.countsAgainstDeployment),
        { halfOpenAfter, breaker: new ConsecutiveBreaker(threshold) },
      );
      const created: Breaker = { policy, openedAt: 0 };
      policy.onBreak(() => {
        created.openedAt = Date.now();
        options.logger?.warn({ deployment, reopen_in_ms: halfOpenAfter }, 'circuit opened');
        options.onCircuitChange?.(deployment, 'open');
      });
      policy.onHalfOpen(() => options.onCircuitChange?.(deployment, 'half_open'));
      policy.onReset(() => {
        options.logger?.info({ deployment }, 'circuit closed');
        options.onCircuitChange?.(deployment, 'closed');
      });
      breakers.set(deployment, created);
      breaker = created;
    }
    return breaker;
  };

  return {
    client(adapterName) {
      const client = clients.get(adapterName);
      if (!client) throw new Error(`no adapter named ${adapterName}`);
      return client;
    },
    endpoint(adapterName) {
      const endpoint = endpoints.get(adapterName);
      if (!endpoint) throw new Error(`no adapter named ${adapterName}`);
      return endpoint;
    },
    circuit(deployment) {
      const breaker = breakers.get(deployment);
      if (!breaker) return 'closed';
      switch (breaker.policy.state) {
        case CircuitState.Closed:
          return 'closed';
        case CircuitState.HalfOpen:
          return 'half_open';
        case CircuitState.Open:
          return Date.now() - breaker.openedAt >= halfOpenAfter ? 'closed' : 'open';
        default:
          return 'open';
      }
    },
    async attempt(deployment, call) {
      const breaker = breakerFor(deployment);
      // cockatiel queues callers behind a half-open probe; the router falls back instead of waiting.
      if (breaker.policy.state === CircuitState.HalfOpen) throw new CircuitOpenError(`circuit of ${deployment} is half-open (a probe is in flight)`);
      try {
        return await breaker.policy.execute(call);
      } catch (error) {
        if (error instanceof BrokenCircuitError || error instanceof IsolatedCircuitError) throw new CircuitOpenError(`circuit of ${deployment} is open`);
        throw error;
      }
    },
    close() {
      for (const client of clients.values()) client.close();
    },
  };
}
