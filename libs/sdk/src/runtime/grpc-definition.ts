import type { DescMessage, DescMethod, DescService, MessageShape } from '@bufbuild/protobuf';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import type * as grpc from '@grpc/grpc-js';
import { useBufferUtf8Encoding } from './text-encoding';

// Every gRPC message this process sends is written by protobuf-es: give it the faster UTF-8 encoder.
useBufferUtf8Encoding();

/** The gRPC path of a method, e.g. `/switchyard.router.v1.RouterService/Generate`. */
export function methodPath(method: DescMethod): string {
  return `/${method.parent.typeName}/${method.name}`;
}

/**
 * A request message the server could not decode (not protobuf, truncated, invalid UTF-8 in a
 * string field, nested deeper than the decoder's recursion limit). grpc-js would answer a throwing
 * deserializer with INTERNAL "Error deserializing request"; the definition hands this value to the
 * handler instead, so the server harness can answer INVALID_ARGUMENT with a message naming the problem.
 */
export class MalformedRequest {
  constructor(
    /** The message type that was expected, e.g. `switchyard.router.v1.GenerateRequest`. */
    readonly typeName: string,
    /** What is wrong with the bytes, in words a caller can act on. */
    readonly problem: string,
  ) {}
}

/** Words for a protobuf decoding error. */
export function describeDecodeError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/utf-?8/i.test(message) || (error instanceof TypeError && /encoded data/i.test(message))) return 'a string field holds invalid UTF-8';
  const depth = /maximum recursion depth of (\d+)/.exec(message);
  if (depth) return `messages are nested more than ${depth[1]} levels deep (a JSON schema or Struct nests two levels per object); flatten it`;
  return `it is not valid protobuf (${message.slice(0, 200)})`;
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
      requestDeserialize: (bytes: Buffer) => {
        try {
          return fromBinary(method.input, bytes);
        } catch (error) {
          return new MalformedRequest(method.input.typeName, describeDecodeError(error)) as unknown as MessageShape<DescMessage>;
        }
      },
      responseSerialize: (value: MessageShape<DescMessage>) => Buffer.from(toBinary(method.output, value)),
      responseDeserialize: (bytes: Buffer) => fromBinary(method.output, bytes),
      originalName: method.localName,
    };
  }
  definitionCache.set(service, definition as grpc.ServiceDefinition);
  return definition as grpc.ServiceDefinition;
}
