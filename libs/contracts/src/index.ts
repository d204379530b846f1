/**
 * The Switchyard contracts, generated from `proto/` by protoc-gen-es (see `npm run generate`).
 * Each protobuf package is one namespace, so the many `GenerateRequest`s never collide:
 * `router.GenerateRequestSchema`, `provider.GenerateRequestSchema`.
 */
import type { DescFile } from '@bufbuild/protobuf';
import { file_google_rpc_code } from './gen/google/rpc/code_pb';
import { file_google_rpc_error_details } from './gen/google/rpc/error_details_pb';
import { file_google_rpc_status } from './gen/google/rpc/status_pb';
import { file_switchyard_billing_v1_billing } from './gen/switchyard/billing/v1/billing_pb';
import { file_switchyard_common_v1_caller } from './gen/switchyard/common/v1/caller_pb';
import { file_switchyard_common_v1_chat } from './gen/switchyard/common/v1/chat_pb';
import { file_switchyard_common_v1_model } from './gen/switchyard/common/v1/model_pb';
import { file_switchyard_common_v1_route } from './gen/switchyard/common/v1/route_pb';
import { file_switchyard_common_v1_usage } from './gen/switchyard/common/v1/usage_pb';
import { file_switchyard_evaluator_v1_evaluator } from './gen/switchyard/evaluator/v1/evaluator_pb';
import { file_switchyard_provider_v1_provider } from './gen/switchyard/provider/v1/provider_pb';
import { file_switchyard_router_v1_api_keys } from './gen/switchyard/router/v1/api_keys_pb';
import { file_switchyard_router_v1_router } from './gen/switchyard/router/v1/router_pb';

export * as common from './common';
export * as provider from './gen/switchyard/provider/v1/provider_pb';
export * as router from './router';
export * as billing from './gen/switchyard/billing/v1/billing_pb';
export * as evaluator from './gen/switchyard/evaluator/v1/evaluator_pb';
export * as rpc from './rpc';

/** Every Switchyard proto file (for reflection and type registries). */
export const switchyardFiles: readonly DescFile[] = [
  file_switchyard_common_v1_chat,
  file_switchyard_common_v1_usage,
  file_switchyard_common_v1_caller,
  file_switchyard_common_v1_model,
  file_switchyard_common_v1_route,
  file_switchyard_provider_v1_provider,
  file_switchyard_router_v1_router,
  file_switchyard_router_v1_api_keys,
  file_switchyard_billing_v1_billing,
  file_switchyard_evaluator_v1_evaluator,
];

/** The vendored google.rpc files (Status and its standard error details). */
export const googleRpcFiles: readonly DescFile[] = [file_google_rpc_status, file_google_rpc_error_details, file_google_rpc_code];
