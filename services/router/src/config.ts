import { z } from 'zod';

const hostPort = z.string().regex(/^[^\s:]+:\d{1,5}$/, 'host:port, e.g. 127.0.0.1:50051');

/**
 * TLS to a server the router calls (PEM files): the CA its certificate must chain to, and the router's
 * own certificate and key when that server requires client certificates (mutual TLS). Plaintext when absent.
 */
const clientTlsSchema = z
  .object({
    /** CA bundle the server's certificate must chain to. */
    caFile: z.string().min(1),
    /** The router's client certificate chain, for servers that require one. */
    certFile: z.string().min(1).optional(),
    /** The router's client private key (with certFile). */
    keyFile: z.string().min(1).optional(),
    /** The name in the server's certificate, when it differs from the address's host. */
    serverName: z.string().min(1).optional(),
  })
  .refine((tls) => Boolean(tls.certFile) === Boolean(tls.keyFile), { message: 'certFile and keyFile go together', path: ['keyFile'] });

/** TLS for the router's own port (PEM files); with `clientCaFile` callers must present a certificate signed by that CA. */
const serverTlsSchema = z.object({
  /** The router's certificate chain. */
  certFile: z.string().min(1),
  /** The router's private key. */
  keyFile: z.string().min(1),
  /** CA bundle client certificates must chain to; set it to require them (mutual TLS). */
  clientCaFile: z.string().min(1).optional(),
});

/** One provider adapter (a ProviderService deployment). Its provider and model names come from its ListModels. */
const adapterSchema = z.object({
  /** A label for logs and "adapter down" reasons, e.g. `openai-default`. Never a routing key. */
  name: z.string().min(1),
  /** The adapter's gRPC address. */
  address: hostPort,
  /** API key the router presents to the adapter, if the adapter authenticates callers. */
  apiKey: z.string().optional(),
  /** TLS (and the router's client certificate, for adapters that require mutual TLS); plaintext when absent. */
  tls: clientTlsSchema.optional(),
});

const budgetLeaseSchema = z
  .object({
    /** Admit requests with router-made ids under leases; false: every request takes its own hold. */
    enabled: z.boolean().default(true),
    /** A lease holds this many estimates of the request that takes it… */
    requests: z.number().int().min(1).default(100),
    /** …and at least this much, nano-USD (default $0.10). */
    minNanosUsd: z.number().int().nonnegative().default(100_000_000),
    /** A lease is at most the remaining budget / headroom: leasing stops well before the budget's edge. */
    headroom: z.number().int().min(2).default(20),
    /** No lease smaller than this many estimates of the request: then every request takes its own hold. */
    minRequests: z.number().int().min(1).default(10),
    /** How long one lease admits requests, ms; a new one is asked for at half of it (or half its amount). */
    termMs: z.number().int().min(100).default(30_000),
    /**
     * The lease's hold lifetime in billing, ms: its term plus the longest hold a request under it needs
     * (the request's deadline + 60 s); requests that need longer take their own hold. The backstop after a crash.
     */
    ttlMs: z.number().int().min(1000).max(23 * 3600_000).default(300_000),
  })
  // A request under a lease needs its own hold's lifetime (its deadline + 60 s) to end before the lease's does:
  // a TTL under termMs + 60 s could never admit a request, so leasing would silently never happen.
  .refine((lease) => lease.ttlMs >= lease.termMs + 60_000, {
    message: 'must be at least termMs + 60000 (a request under a lease needs its deadline + 60 s before the lease expires)',
    path: ['ttlMs'],
  });

/**
 * The router's configuration: a YAML file plus `SWITCHYARD_*` environment overrides
 * (see @switchyard/config), e.g. `SWITCHYARD_BILLING__API_KEY`, `SWITCHYARD_OUTBOX__DIR`.
 *
 * ```yaml
 * listen: 127.0.0.1:50051
 * keyFile: .switchyard/api-keys.json     # shared with billing
 * policyFile: services/router/config/policy.yaml
 * adapters:
 *   - { name: openai-default, address: 127.0.0.1:50061 }
 * billing: { address: 127.0.0.1:50071, apiKey: sy_..._... }
 * outbox: { dir: .switchyard/router-outbox }
 * budget: { failureMode: failOpen, lease: { enabled: true } }
 * # optional TLS: tls: { certFile, keyFile, clientCaFile } for the router's port; adapters[].tls,
 * # billing.tls, evaluator.tls: { caFile, certFile, keyFile, serverName } for its calls
 * ```
 */
export const routerConfigSchema = z.object({
  listen: hostPort.default('127.0.0.1:50051'),
  /** TLS for the router's port (mutual TLS with `clientCaFile`); plaintext when absent. API keys are still required. */
  tls: serverTlsSchema.optional(),
  /** API-key file (sha256 hashes only); shared with billing, reloaded on change. */
  keyFile: z.string().min(1),
  /** Routing policy YAML, reloaded on change. */
  policyFile: z.string().min(1),
  /** Provider adapters to route to. */
  adapters: z.array(adapterSchema).default([]),
  billing: z.object({
    address: hostPort,
    /** The router's service key for billing (RecordUsage, ReserveBudget, SettleBudget, ListPrices). */
    apiKey: z.string().min(1),
    /** Timeout of one ReserveBudget call before the failure mode applies, ms. */
    reserveTimeoutMs: z.number().int().positive().default(1000),
    /** How often the price catalog is re-read from billing's ListPrices, ms (0 = use the shipped catalog only). */
    priceRefreshMs: z.number().int().nonnegative().default(60_000),
    /** TLS to billing (with a client certificate when billing requires mutual TLS); plaintext when absent. */
    tls: clientTlsSchema.optional(),
  }),
  /** The evaluator, for measured per-model quality; priors from the policy are used without it. */
  evaluator: z
    .object({
      address: hostPort,
      apiKey: z.string().optional(),
      /** How often GetQualityScores and the models' GetModelStatus are re-read, ms. */
      refreshMs: z.number().int().positive().default(60_000),
      /** Online-sampling submissions in flight before new samples are dropped. */
      maxInFlightSamples: z.number().int().positive().default(64),
      /** TLS to the evaluator; plaintext when absent. */
      tls: clientTlsSchema.optional(),
    })
    .optional(),
  outbox: z
    .object({
      /** Directory of the durable usage outbox (segment files and the acknowledged offset). */
      dir: z.string().min(1),
      /** Records per RecordUsage batch (billing accepts at most 1000). */
      batchSize: z.number().int().min(1).max(1000).default(200),
      /** How long the shipper waits after a new record for more to fill a batch, ms. */
      lingerMs: z.number().int().nonnegative().default(50),
      /** After a batch smaller than batchSize, how long the shipper waits before reading the next, ms (batches grow with load). */
      partialLingerMs: z.number().int().nonnegative().default(50),
      /**
       * 0: the reply waits for the usage record's fdatasync (group commit). > 0: it waits for the write only,
       * and the outbox is fdatasync'd this often, ms — a kernel crash or power loss may then lose up to this
       * much usage (a killed router loses nothing: the page cache outlives it). See docs/router.md.
       */
      syncIntervalMs: z.number().int().nonnegative().max(10_000).default(0),
      /** Segment size before rolling over to a new file, bytes. */
      segmentBytes: z.number().int().min(4096).default(8 * 1024 * 1024),
      /** First and largest retry delay of a failed delivery, ms. */
      retryInitialMs: z.number().int().positive().default(100),
      retryMaxMs: z.number().int().positive().default(5000),
      /** Timeout of one RecordUsage call, ms. */
      deliveryTimeoutMs: z.number().int().positive().default(10_000),
    })
    .prefault({ dir: '.switchyard/router-outbox' }),
  budget: z
    .object({
      /** When billing cannot be reached for ReserveBudget: serve unchecked (failOpen) or refuse with UNAVAILABLE (failClosed). */
      failureMode: z.enum(['failOpen', 'failClosed']).default('failOpen'),
      /** Consecutive reservation failures after which billing is treated as down without waiting for a timeout. */
      breakerThreshold: z.number().int().positive().default(5),
      /** How long billing is treated as down before the next reservation probes it, ms. */
      breakerHalfOpenMs: z.number().int().positive().default(5000),
      /**
       * Budget leases (docs/router.md, "Budget leases"): one ReserveBudget covers many requests whose id
       * the router made up, admitted in memory. Near a budget's edge every request takes its own hold.
       */
      lease: budgetLeaseSchema.prefault({}),
    })
    .prefault({}),
  /**
   * AIP-155 request ids within this process: a retry of a completed Generate (same team, id and content)
   * gets the original answer again, within `ttlMs` and while it is among the kept answers. Across
   * replicas and restarts billing refuses a served id (REQUEST_ALREADY_SERVED). See docs/router.md.
   */
  idempotency: z
    .object({
      /** How long a completed request's answer is kept for retries, ms. */
      ttlMs: z.number().int().positive().default(600_000),
      /** Most completed requests kept (the least recently used go first); 0 keeps none (duplicates in flight still coalesce). */
      maxEntries: z.number().int().nonnegative().default(10_000),
      /** Most memory for kept answers, bytes (approximate). */
      maxBytes: z.number().int().positive().default(64 * 1024 * 1024),
    })
    .prefault({}),
  /** Deadline applied when the caller sets none, ms. */
  defaultDeadlineMs: z.number().int().positive().default(120_000),
  /** Time kept back from the caller's deadline for the router's own work after the adapter answers, ms. */
  deadlineMarginMs: z.number().int().nonnegative().default(5),
  /** Longest wait for an adapter's first byte (unary: the reply) before falling back, ms; the caller's deadline still wins. */
  firstByteTimeoutMs: z.number().int().positive().default(30_000),
  circuit: z
    .object({
      /** Consecutive failures that open a deployment's circuit. */
      consecutiveFailures: z.number().int().positive().default(5),
      /** How long an open circuit waits before one probe request, ms. */
      halfOpenAfterMs: z.number().int().positive().default(10_000),
    })
    .prefault({}),
  catalog: z
    .object({
      /** How often adapters' ListModels are re-read, ms. */
      refreshMs: z.number().int().positive().default(30_000),
      /** Timeout of one ListModels call, ms. */
      timeoutMs: z.number().int().positive().default(3000),
    })
    .prefault({}),
  classifier: z
    .object({
      /** `learned` (the trained routing model) or `heuristic` (rules only). */
      kind: z.enum(['learned', 'heuristic']).default('learned'),
      /** Prompt characters the classifier reads (head and tail of the last user turn); bounds decision time. */
      maxChars: z.number().int().min(64).default(1024),
    })
    .prefault({}),
  /** Observed-latency window per deployment model (successful attempts). */
  latency: z
    .object({
      window: z.number().int().min(10).default(200),
      /** Samples needed before the observed p90 is used against a latency objective. */
      minSamples: z.number().int().min(1).default(20),
    })
    .prefault({}),
  logLevel: z.string().default('info'),
});

/** The parsed, frozen router configuration. */
export type RouterConfig = z.infer<typeof routerConfigSchema>;
/** One configured adapter. */
export type AdapterConfig = z.infer<typeof adapterSchema>;
/** TLS settings of a client connection the router makes. */
export type ClientTlsConfig = z.infer<typeof clientTlsSchema>;
