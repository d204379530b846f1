// The vendored google.rpc package: Status, Code and the standard error details (AIP-193).
export * from './gen/google/rpc/status_pb';
export * from './gen/google/rpc/error_details_pb';
export * from './gen/google/rpc/code_pb';
