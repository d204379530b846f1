// The switchyard.router.v1 package: RouterService and ApiKeyService.
export * from './gen/switchyard/router/v1/router_pb';
export * from './gen/switchyard/router/v1/api_keys_pb';
