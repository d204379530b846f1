import type { DescMessage, DescMethod, DescService, MessageInitShape, MessageShape } from '@bufbuild/protobuf';
import type { Metadata } from '@grpc/grpc-js';

/** Who is calling, as established by the server's authentication interceptor. */
export interface Principal {
  /** Public id of the API key used. */
  keyId: string;
  /** The team the key acts for. */
  teamId: string;
  /** What the key may do. */
  role: 'team' | 'admin' | 'service';
}

/** What a server handler knows about its call besides the request. */
export interface ServerCallContext {
  /** Aborted when the client cancels, the deadline passes, or the server drains past its grace period. */
  readonly signal: AbortSignal;
  /** The client's deadline, if it set one. */
  readonly deadline: Date | undefined;
  /** Milliseconds left until the deadline (Infinity when none). */
  remainingMs(): number;
  /** The request metadata. */
  readonly metadata: Metadata;
  /** The fully qualified method, e.g. `switchyard.router.v1.RouterService/Generate`. */
  readonly method: string;
  /** The peer address. */
  readonly peer: string;
  /** The authenticated caller, when the service authenticates. */
  principal?: Principal;
  /** Sets a response header (sent with the first response message). */
  setHeader(key: string, value: string): void;
}

/** A unary handler: returns (or resolves to) the response. */
export type UnaryHandler<I extends DescMessage, O extends DescMessage> = (
  request: MessageShape<I>,
  context: ServerCallContext,
) => Promise<MessageInitShape<O>> | MessageInitShape<O>;

/** A server-streaming handler: yields the responses in order. */
export type ServerStreamHandler<I extends DescMessage, O extends DescMessage> = (
  request: MessageShape<I>,
  context: ServerCallContext,
) => AsyncIterable<MessageInitShape<O>>;

type HandlerFor<M> = M extends { methodKind: 'unary'; input: infer I extends DescMessage; output: infer O extends DescMessage }
  ? UnaryHandler<I, O>
  : M extends { methodKind: 'server_streaming'; input: infer I extends DescMessage; output: infer O extends DescMessage }
    ? ServerStreamHandler<I, O>
    : never;

/** The typed implementation of a service: one handler per method, keyed by the method's local name. */
export type ServiceImplementation<S extends DescService> = {
  [K in keyof S['method']]: HandlerFor<S['method'][K]>;
};

/** Any method descriptor (re-exported for harness code). */
export type AnyMethod = DescMethod;
