import type { Logger, RunningGrpcServer } from '@switchyard/grpc-kit';
import { defaultPriceCatalog, type PriceCatalog } from '@switchyard/pricing';
import { createServedModelCatalog, instrumentProviderService, startProviderServer, toServedModels, warmTokenEstimator } from '@switchyard/provider-kit';
import { deploymentCapabilities, dialectFromQuirks } from './capabilities';
import type { CompatibleAdapterConfig } from './config';
import { createCompatibleClient, createCompatibleProviderService } from './provider-service';

/** Options of {@link startCompatibleAdapter}. */
export interface CompatibleAdapterOptions {
  config: CompatibleAdapterConfig;
  /** The server's key, if it needs one (read by main.ts). Never logged. */
  apiKey?: string;
  /** Prices for ListModels; the catalog wins, the config's prices fill in (self-hosted capacity). */
  priceCatalog?: PriceCatalog;
  logger?: Logger;
}

/** Wires one OpenAI-compatible deployment from its config: SDK client, served models with prices, gRPC server. */
export async function startCompatibleAdapter(options: CompatibleAdapterOptions): Promise<RunningGrpcServer> {
  const { config } = options;
  const client = createCompatibleClient({
    baseURL: config.upstream.baseUrl,
    apiKey: options.apiKey,
    timeoutMs: config.upstream.timeoutMs,
    extraHeaders: config.upstream.extraHeaders,
  });
  const models = toServedModels(config.models).map((model) => ({
    ...model,
    capabilities: deploymentCapabilities(model.capabilities, config.quirks),
  }));
  const catalog = createServedModelCatalog({
    provider: config.provider,
    deployment: config.deployment,
    models,
    priceCatalog: options.priceCatalog ?? defaultPriceCatalog(),
  });
  warmTokenEstimator();
  return startProviderServer({
    name: 'adapter-openai-compatible',
    listen: config.listen,
    implementation: instrumentProviderService(
      createCompatibleProviderService({
        client,
        catalog,
        dialect: dialectFromQuirks(config.quirks),
        upstreamTimeoutMs: config.upstream.timeoutMs,
      }),
      { provider: catalog.provider, upstreamBaseUrl: config.upstream.baseUrl },
    ),
    apiKeysFile: config.auth.apiKeysFile,
    tls: config.tls,
    logger: options.logger,
    drainGraceMs: config.drainGraceMs,
  });
}
