/**
 * @switchyard/provider-kit — provider-neutral building blocks of a ProviderService adapter:
 * served models and ListModels (prices from @switchyard/pricing), capability checks, upstream
 * failure → gRPC status mapping, deadline → upstream timeout, stream timing and partial usage,
 * token estimates, the config sections every adapter shares, and the GenAI spans and metrics every
 * adapter's calls get (instrumentProviderService). No vendor SDK is imported here.
 */
export * from './served-models';
export * from './upstream-failure';
export * from './upstream-deadline';
export * from './stream-accounting';
export * from './token-estimate';
export * from './request-guard';
export * from './adapter-config';
export * from './proto-init';
export * from './provider-server';
export * from './translation-errors';
export * from './provider-telemetry';
export * from './upstream-fetch';
export * from './adapter-main';
export * from './reply-shape';
