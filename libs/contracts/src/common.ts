// The switchyard.common.v1 package: one namespace for its five files.
export * from './gen/switchyard/common/v1/chat_pb';
export * from './gen/switchyard/common/v1/usage_pb';
export * from './gen/switchyard/common/v1/caller_pb';
export * from './gen/switchyard/common/v1/model_pb';
export * from './gen/switchyard/common/v1/route_pb';
