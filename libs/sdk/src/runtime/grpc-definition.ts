import type { DescMessage, DescMethod, DescService, MessageShape } from '@bufbuild/protobuf';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import type * as grpc from '@grpc/grpc-js';

/** The gRPC path of a method, e.g. `/switchyard.router.v1.RouterService/Generate`. */
export function methodPath(method: DescMethod): string {
  return `/${method.parent.typeName}/${method.name}`;
}

const definitionCache = new WeakMap<DescService, grpc.ServiceDefinition>();

/**
 * A grpc-js service definition built from a protobuf-es service descriptor: paths, stream flags
 * and binary (de)serializers. Handlers and client methods are keyed by `method.localName`.
 */
export function grpcServiceDefinition(service: DescService): grpc.ServiceDefinition {
  const cached = definitionCache.get(service);
  if (cached) return cached;
  const definition: Record<string, grpc.MethodDefinition<MessageShape<DescMessage>, MessageShape<DescMessage>>> = {};
  for (const method of service.methods) {
    definition[method.localName] = {
      path: methodPath(method),
      requestStream: method.methodKind === 'client_streaming' || method.methodKind === 'bidi_streaming',
      responseStream: method.methodKind === 'server_streaming' || method.methodKind === 'bidi_streaming',
      requestSerialize: (value: MessageShape<DescMessage>) => Buffer.from(toBinary(method.input, value)),
      requestDeserialize: (bytes: Buffer) => fromBinary(method.input, bytes),
      responseSerialize: (value: MessageShape<DescMessage>) => Buffer.from(toBinary(method.output, value)),
      responseDeserialize: (bytes: Buffer) => fromBinary(method.output, bytes),
      originalName: method.localName,
    };
  }
  definitionCache.set(service, definition as grpc.ServiceDefinition);
  return definition as grpc.ServiceDefinition;
}
