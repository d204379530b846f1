// instrumentation-grpc for outgoing calls only. Every Switchyard server runs on @switchyard/grpc-kit,
// which starts each call's SERVER span itself, with the stable RPC names, in the wrapper it puts
// around every handler anyway. The instrumentation's server patch did the same work a second time:
// another context scope, the call's emitter bound to the context, a patched sendMetadata and the
// legacy attributes that the stable-rpc span processor then rewrote (docs/benchmarks.md, "Tracing
// overhead"). Client calls keep the instrumentation: their spans and traceparent injection.
import { GrpcInstrumentation } from '@opentelemetry/instrumentation-grpc';

/** The part of @grpc/grpc-js's exports this class touches. */
interface GrpcModule {
  Server: { prototype: { register: unknown } };
}

/** GrpcInstrumentation that leaves `Server.prototype.register` unpatched. */
export class GrpcClientInstrumentation extends GrpcInstrumentation {
  override init(): ReturnType<GrpcInstrumentation['init']> {
    return super.init().map((definition) => {
      const { patch, unpatch } = definition;
      definition.patch = (moduleExports: GrpcModule, version?: string) => {
        const patched = (patch ? patch(moduleExports, version) : moduleExports) as GrpcModule;
        this._unwrap(patched.Server.prototype, 'register');
        return patched;
      };
      definition.unpatch = (moduleExports?: GrpcModule, version?: string) => {
        // The base unpatch takes its wrapper off register too: leave it one that changes nothing.
        if (moduleExports) this._wrap(moduleExports.Server.prototype, 'register', (register) => register);
        unpatch?.(moduleExports, version);
      };
      return definition;
    });
  }
}
