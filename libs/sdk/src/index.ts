/**
 * @switchyard/sdk — typed gRPC clients for every Switchyard service, generated from `proto/`.
 *
 * ```ts
 * import { createRouterClient } from '@switchyard/sdk';
 * const router = createRouterClient('127.0.0.1:50051', { apiKey: process.env.SWITCHYARD_API_KEY });
 * const reply = await router.generate({ messages: [{ role: Role.USER, parts: [{ kind: { case: 'text', value: 'Hi' } }] }] });
 * ```
 */
export * from './runtime/client';
export * from './runtime/errors';
export * from './runtime/grpc-definition';
export * from './runtime/server-context';
export * from './runtime/messages';
export * from './gen/switchyard/router/v1/router_sdk';
export * from './gen/switchyard/router/v1/api_keys_sdk';
export * from './gen/switchyard/provider/v1/provider_sdk';
export * from './gen/switchyard/billing/v1/billing_sdk';
export * from './gen/switchyard/evaluator/v1/evaluator_sdk';
export { common, provider, router, billing, evaluator, rpc } from '@switchyard/contracts';
