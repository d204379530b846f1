/** @switchyard/grpc-kit — the harness every Switchyard service runs on. */
export * from './server';
export * from './service-failure';
export * from './api-keys';
export * from './logger';
export * from './reflection';
export * from './health-client';
export * from './tls';
