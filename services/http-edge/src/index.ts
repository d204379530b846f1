/** @switchyard/http-edge — OpenAI- and Anthropic-compatible HTTP in front of the router's gRPC API. */
export { startHttpEdge, type HttpEdgeOptions, type RunningHttpEdge } from './edge-server';
export { httpEdgeConfigSchema, type HttpEdgeConfig } from './edge-config';
