import { createHeuristicClassifier, createLearnedClassifier, type PromptClassifier } from '@switchyard/classifier';
import { router } from '@switchyard/contracts';
import { createApiKeyAuthenticator, createApiKeyStore, createLogger, serverCredentialsFromFiles, startGrpcServer, type RunningGrpcServer } from '@switchyard/grpc-kit';
import { defaultPriceCatalog, type PriceCatalog } from '@switchyard/pricing';
import type { Meter } from '@opentelemetry/api';
import { createBillingClient, createEvaluatorClient } from '@switchyard/sdk';
import type { SwitchyardMetrics } from '@switchyard/telemetry';
import type { Logger } from 'pino';
import { createAdapterPool, type AdapterPool } from './adapter-pool';
import { createApiKeyService } from './api-key-service';
import { createBudgetGate } from './budget';
import { usageDeliveryOf } from './budget-lease';
import { clientConnectionOptions } from './client-credentials';
import type { RouterConfig } from './config';
import { createLatencyTracker } from './latency-tracker';
import { createModelCatalog, type ModelCatalog } from './model-catalog';
import { createOnlineSampler } from './online-sampler';
import { createPolicySource, type PolicySource } from './policy/policy-loader';
import { createPriceSource } from './price-source';
import { createQualityScores } from './quality-scores';
import { combineRouterHooks, createRouterMetricsHooks } from './router-metrics';
import { approximateAnswerBytes, createRouterService, type GenerateAnswer, type RouterHooks } from './router-service';
import { createServedRequests } from './served-requests';
import { openUsageOutbox, type UsageOutbox } from './usage-outbox';
import { createUsageShipper, type UsageShipper } from './usage-shipper';

/** Extra wiring for startRouter beyond the config (tests and the composition root). */
export interface StartRouterOptions {
  logger?: Logger;
  /** Overrides the classifier chosen by `config.classifier.kind`. */
  classifier?: PromptClassifier;
  /** The catalog to fall back on until billing's ListPrices answers; default the shipped one. */
  shippedPrices?: PriceCatalog;
  hooks?: RouterHooks;
  /**
   * Switchyard's metric instruments (the telemetry handle's `metrics`): when given, the router
   * records cost, fallbacks, circuit states and unchecked requests, and reports its outbox depth.
   */
  metrics?: SwitchyardMetrics;
  /** The meter for the router's own instruments (the telemetry handle's `meter`), with `metrics`. */
  meter?: Meter;
}

/** A running router process's parts. */
export interface RunningRouter {
  readonly address: string;
  readonly server: RunningGrpcServer;
  readonly outbox: UsageOutbox;
  readonly shipper: UsageShipper;
  readonly catalog: ModelCatalog;
  readonly pool: AdapterPool;
  readonly policy: PolicySource;
  /**
   * Graceful stop: health NOT_SERVING → drain in-flight calls (grace) → give the shipper up to
   * `flushMs` to deliver the outbox → return budget leases (up to `flushMs`) → close. Undelivered
   * usage stays on disk for the next start.
   */
  shutdown(options?: { graceMs?: number; flushMs?: number }): Promise<void>;
}

/** Builds every part of the router from its config and starts serving. */
export async function startRouter(config: RouterConfig, options: StartRouterOptions = {}): Promise<RunningRouter> {
  const logger = options.logger ?? createLogger({ service: 'router', level: config.logLevel });
  const hooks = combineRouterHooks(options.metrics ? createRouterMetricsHooks({ metrics: options.metrics, meter: options.meter }) : undefined, options.hooks);
  const policy = createPolicySource({
    file: config.policyFile,
    onReload: (event) =>
      event.ok ? logger.info({ file: config.policyFile }, 'routing policy reloaded') : logger.error({ err: event.error.message }, 'routing policy change rejected; keeping the previous policy'),
  });
  const keys = createApiKeyStore({ file: config.keyFile });

  const outbox = await openUsageOutbox({ dir: config.outbox.dir, segmentBytes: config.outbox.segmentBytes, syncIntervalMs: config.outbox.syncIntervalMs, logger });
  const stopObservingOutbox = options.metrics?.observeOutboxDepth(() => outbox.stats().backlog);
  const billingClient = createBillingClient(config.billing.address, { apiKey: config.billing.apiKey, ...clientConnectionOptions(config.billing.tls) });
  const shipper = createUsageShipper({
    outbox,
    billing: billingClient,
    batchSize: config.outbox.batchSize,
    lingerMs: config.outbox.lingerMs,
    partialLingerMs: config.outbox.partialLingerMs,
    retryInitialMs: config.outbox.retryInitialMs,
    retryMaxMs: config.outbox.retryMaxMs,
    deliveryTimeoutMs: config.outbox.deliveryTimeoutMs,
    logger,
  });
  shipper.start();
  const budget = createBudgetGate({
    billing: billingClient,
    failureMode: config.budget.failureMode,
    timeoutMs: config.billing.reserveTimeoutMs,
    breakerThreshold: config.budget.breakerThreshold,
    breakerHalfOpenMs: config.budget.breakerHalfOpenMs,
    logger,
    onUnchecked: (teamId) => hooks?.onBudgetUnchecked?.(teamId),
    lease: config.budget.lease.enabled
      ? { settings: { ...config.budget.lease, minNanosUsd: BigInt(config.budget.lease.minNanosUsd) }, delivery: usageDeliveryOf(outbox) }
      : undefined,
  });
  const prices = createPriceSource({
    shipped: options.shippedPrices ?? defaultPriceCatalog(),
    billing: config.billing.priceRefreshMs > 0 ? billingClient : undefined,
    refreshMs: config.billing.priceRefreshMs,
    logger,
  });

  const pool = createAdapterPool({
    adapters: config.adapters,
    consecutiveFailures: config.circuit.consecutiveFailures,
    halfOpenAfterMs: config.circuit.halfOpenAfterMs,
    logger,
    onCircuitChange: (deployment, state) => {
      if (!hooks?.onCircuitChange) return;
      const models = catalog.entries().filter((e) => e.ref.deployment === deployment).map((e) => ({ provider: e.ref.provider, model: e.ref.model }));
      hooks.onCircuitChange(deployment, state, models);
    },
  });
  const catalog = createModelCatalog({
    adapters: config.adapters.map((a) => ({ name: a.name, address: a.address, client: pool.client(a.name) })),
    refreshMs: config.catalog.refreshMs,
    timeoutMs: config.catalog.timeoutMs,
    logger,
  });
  const evaluatorClient = config.evaluator
    ? createEvaluatorClient(config.evaluator.address, { apiKey: config.evaluator.apiKey, ...clientConnectionOptions(config.evaluator.tls) })
    : undefined;
  const quality = createQualityScores({
    policy: () => policy.current(),
    evaluator: evaluatorClient,
    models: () => catalog.entries().map((e) => e.key),
    refreshMs: config.evaluator?.refreshMs,
    logger,
  });
  // Start-up reads; each keeps its fallback (shipped prices, priors, "adapter down") on failure.
  await Promise.all([prices.refresh(), catalog.refresh()]);
  await quality.refresh();

  const classifier = options.classifier ?? (config.classifier.kind === 'heuristic' ? createHeuristicClassifier() : createLearnedClassifier());
  const latency = createLatencyTracker({ window: config.latency.window, minSamples: config.latency.minSamples });
  const routerService = createRouterService({
    policy,
    classifier,
    maxClassifierChars: config.classifier.maxChars,
    catalog,
    pool,
    quality,
    latency,
    prices,
    budget,
    outbox,
    timings: { defaultDeadlineMs: config.defaultDeadlineMs, deadlineMarginMs: config.deadlineMarginMs, firstByteTimeoutMs: config.firstByteTimeoutMs },
    servedRequests: createServedRequests<GenerateAnswer>({
      ttlMs: config.idempotency.ttlMs,
      maxEntries: config.idempotency.maxEntries,
      maxBytes: config.idempotency.maxBytes,
      sizeOf: approximateAnswerBytes,
    }),
    sampler: evaluatorClient ? createOnlineSampler({ client: evaluatorClient, maxInFlight: config.evaluator?.maxInFlightSamples, logger }) : undefined,
    logger,
    hooks,
  });

  const server = await startGrpcServer({
    name: 'router',
    address: config.listen,
    errorDomain: 'router.switchyard.dev',
    services: [
      { service: router.RouterService, implementation: routerService },
      { service: router.ApiKeyService, implementation: createApiKeyService({ store: keys, logger }) },
    ],
    authenticate: createApiKeyAuthenticator(keys),
    logger,
    // TLS (mutual with clientCaFile) for the router's port; API keys are checked either way.
    ...(config.tls ? { credentials: serverCredentialsFromFiles(config.tls) } : {}),
  });
  logger.info(
    { adapters: catalog.adapters().map((a) => ({ name: a.name, up: a.up, models: a.models })), prices: prices.origin(), classifier: classifier.version, outbox_backlog: outbox.stats().backlog },
    'router ready',
  );

  let stopping: Promise<void> | undefined;
  return {
    address: server.address,
    server,
    outbox,
    shipper,
    catalog,
    pool,
    policy,
    shutdown: (shutdownOptions = {}) =>
      (stopping ??= (async () => {
        await server.shutdown(shutdownOptions.graceMs);
        policy.close();
        catalog.close();
        prices.close();
        quality.close();
        const flushed = await shipper.drain(shutdownOptions.flushMs ?? 5000);
        if (!flushed) logger.warn({ backlog: outbox.stats().backlog }, 'usage not yet delivered to billing stays in the outbox for the next start');
        // Leases whose usage billing now has go back; the others expire by their TTL in billing.
        await budget.close(shutdownOptions.flushMs ?? 5000);
        await shipper.stop();
        stopObservingOutbox?.();
        await outbox.close();
        pool.close();
        billingClient.close();
        evaluatorClient?.close();
      })()),
  };
}
