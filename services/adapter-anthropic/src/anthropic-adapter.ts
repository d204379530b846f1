import type { Logger, RunningGrpcServer } from '@switchyard/grpc-kit';
import { defaultPriceCatalog, type PriceCatalog } from '@switchyard/pricing';
import { createServedModelCatalog, instrumentProviderService, startProviderServer, toServedModels, warmTokenEstimator } from '@switchyard/provider-kit';
import { anthropicModelCapabilities } from './capabilities';
import type { AnthropicAdapterConfig } from './config';
import { createAnthropicClient, createAnthropicProviderService } from './provider-service';

/** Options of {@link startAnthropicAdapter}. */
export interface AnthropicAdapterOptions {
  config: AnthropicAdapterConfig;
  /** The provider key (read by main.ts from the environment or the key file). Never logged. */
  apiKey: string;
  /** Prices for ListModels; default the shipped catalog. */
  priceCatalog?: PriceCatalog;
  logger?: Logger;
}

/** Wires adapter-anthropic from its config: SDK client, served models with prices, gRPC server. */
export async function startAnthropicAdapter(options: AnthropicAdapterOptions): Promise<RunningGrpcServer> {
  const { config } = options;
  const client = createAnthropicClient({
    baseURL: config.upstream.baseUrl,
    apiKey: options.apiKey,
    timeoutMs: config.upstream.timeoutMs,
    extraHeaders: config.upstream.extraHeaders,
  });
  const catalog = createServedModelCatalog({
    provider: config.provider,
    deployment: config.deployment,
    models: toServedModels(config.models, anthropicModelCapabilities),
    priceCatalog: options.priceCatalog ?? defaultPriceCatalog(),
  });
  warmTokenEstimator();
  return startProviderServer({
    name: 'adapter-anthropic',
    listen: config.listen,
    implementation: instrumentProviderService(
      createAnthropicProviderService({
        client,
        catalog,
        upstreamTimeoutMs: config.upstream.timeoutMs,
        defaultMaxOutputTokens: config.defaultMaxOutputTokens,
      }),
      { provider: catalog.provider, upstreamBaseUrl: config.upstream.baseUrl },
    ),
    apiKeysFile: config.auth.apiKeysFile,
    tls: config.tls,
    logger: options.logger,
    drainGraceMs: config.drainGraceMs,
  });
}
