// The preload entry: importing this module starts telemetry, so it must come before anything that
// loads @grpc/grpc-js or creates metric instruments. Two ways to use it:
//   - first line of a service's main.ts:  import { telemetry } from '@switchyard/telemetry/register';
//     (tsx compiles to CommonJS, so imports run in source order: this one runs first)
//   - as a preload:  tsx --require ./libs/telemetry/src/register.ts services/router/src/main.ts
// Like a main.ts, this entry point is a composition root, so it reads process.env: the standard
// OTEL_* variables (OTEL_SERVICE_NAME overrides the name taken from the service's package.json).
import { startTelemetry, type Telemetry } from './bootstrap';
import { serviceIdentityFromEntry } from './service-identity';

const identity = serviceIdentityFromEntry(process.argv[1]);

/** This process's telemetry; main.ts calls `telemetry.shutdown()` last in its shutdown sequence. */
export const telemetry: Telemetry = startTelemetry({
  serviceName: identity.name,
  serviceVersion: identity.version,
  env: process.env,
});
