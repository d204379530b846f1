import type { DescMethodServerStreaming, DescMethodUnary, DescMessage, MessageInitShape, MessageShape } from '@bufbuild/protobuf';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import serviceConfig from '../gen/service_config.json';
import { fromServiceError, SwitchyardError } from './errors';
import { methodPath } from './grpc-definition';

/** Options for creating a client. */

/** A method's request serializer and response deserializer, as grpc-js takes them. */
type Codec<I extends DescMessage, O extends DescMessage> = [serialize: (value: MessageShape<I>) => Buffer, deserialize: (bytes: Buffer) => MessageShape<O>];

/** Built once per method (they run on every call; the map holds them for the method descriptor's life). */
const codecs = new WeakMap<object, Codec<DescMessage, DescMessage>>();
function codecOf<I extends DescMessage, O extends DescMessage>(method: DescMethodUnary<I, O> | DescMethodServerStreaming<I, O>): Codec<I, O> {
  let codec = codecs.get(method) as Codec<I, O> | undefined;
  if (!codec) {
    codec = [(value) => Buffer.from(toBinary(method.input, value)), (bytes) => fromBinary(method.output, bytes)];
    codecs.set(method, codec as unknown as Codec<DescMessage, DescMessage>);
  }
  return codec;
}

export interface ClientOptions {
  /** The caller's API key, sent as `authorization: Bearer <key>` on every call. */
  apiKey?: string;
  /** Default per-call timeout in ms when a call gives none. Default: the service config's (120 s for Generate, 10 s otherwise). */
  timeoutMs?: number;
  /** Channel credentials; default insecure (loopback, or TLS terminated by a mesh). */
  credentials?: grpc.ChannelCredentials;
  /** Extra grpc-js channel options (they override the defaults). */
  channelOptions?: grpc.ChannelOptions;
  /** Metadata added to every call, e.g. W3C `traceparent` when not using OTel instrumentation. */
  metadata?: Record<string, string>;
}

/** Options for one call. */
export interface CallOptions {
  /** Timeout in ms for this call; becomes the gRPC deadline the server sees. */
  timeoutMs?: number;
  /** An absolute deadline; wins over timeoutMs. */
  deadline?: Date;
  /** Aborting cancels the call on the server too. */
  signal?: AbortSignal;
  /** Extra metadata for this call. */
  metadata?: Record<string, string>;
  /** Called with the response headers when they arrive. */
  onHeader?: (metadata: grpc.Metadata) => void;
}

const defaultChannelOptions: grpc.ChannelOptions = {
  'grpc.service_config': JSON.stringify(serviceConfig),
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.max_receive_message_length': 16 * 1024 * 1024,
  'grpc.max_send_message_length': 16 * 1024 * 1024,
  // grpc-js backs reconnects off up to 120 s: after a 60 s outage a client could keep failing fast
  // for another minute while the server is back. 5 s bounds that wait (gRPC's 1 s start, ×1.6 growth).
  'grpc.max_reconnect_backoff_ms': 5_000,
};

/**
 * The runtime behind every generated client: typed unary calls returning promises, server streams
 * as async iterables, deadlines, AbortSignal cancellation, API-key metadata and typed errors.
 */
export class SwitchyardClient {
  protected readonly channel: grpc.Client;
  private readonly baseMetadata: grpc.Metadata;

  constructor(
    readonly address: string,
    private readonly options: ClientOptions = {},
  ) {
    this.channel = new grpc.Client(address, options.credentials ?? grpc.credentials.createInsecure(), {
      ...defaultChannelOptions,
      ...options.channelOptions,
    });
    this.baseMetadata = new grpc.Metadata();
    if (options.apiKey) this.baseMetadata.set('authorization', `Bearer ${options.apiKey}`);
    for (const [key, value] of Object.entries(options.metadata ?? {})) this.baseMetadata.set(key, value);
  }

  /** Closes the channel; calls in flight are cancelled. */
  close(): void {
    this.channel.close();
  }

  /** Resolves once the channel is connected, or rejects after timeoutMs. */
  waitForReady(timeoutMs = 5000): Promise<void> {
    return new Promise((resolve, reject) =>
      this.channel.waitForReady(Date.now() + timeoutMs, (error) => (error ? reject(error) : resolve())),
    );
  }

  protected unary<I extends DescMessage, O extends DescMessage>(
    method: DescMethodUnary<I, O>,
    request: MessageInitShape<I>,
    options: CallOptions = {},
  ): Promise<MessageShape<O>> {
    const message = create(method.input, request);
    return new Promise((resolve, reject) => {
      if (options.signal?.aborted) return reject(abortedError());
      const call = this.channel.makeUnaryRequest(
        methodPath(method),
        ...codecOf(method),
        message,
        this.metadataFor(options),
        this.callOptionsFor(options),
        (error, response) => {
          options.signal?.removeEventListener('abort', onAbort);
          if (error) reject(fromServiceError(error));
          else resolve(response as MessageShape<O>);
        },
      );
      const onAbort = () => call.cancel();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      if (options.onHeader) call.on('metadata', options.onHeader);
    });
  }

  protected serverStream<I extends DescMessage, O extends DescMessage>(
    method: DescMethodServerStreaming<I, O>,
    request: MessageInitShape<I>,
    options: CallOptions = {},
  ): AsyncIterable<MessageShape<O>> {
    const message = create(method.input, request);
    return { [Symbol.asyncIterator]: () => this.streamResponses(method, message, options) };
  }

  private async *streamResponses<I extends DescMessage, O extends DescMessage>(
    method: DescMethodServerStreaming<I, O>,
    message: MessageShape<I>,
    options: CallOptions,
  ): AsyncGenerator<MessageShape<O>> {
    if (options.signal?.aborted) throw abortedError();
    const call = this.channel.makeServerStreamRequest(
      methodPath(method),
      ...codecOf(method),
      message,
      this.metadataFor(options),
      this.callOptionsFor(options),
    );
    const onAbort = () => call.cancel();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.onHeader) call.on('metadata', options.onHeader);
    try {
      for await (const item of call) yield item as MessageShape<O>;
    } catch (error) {
      throw isServiceError(error) ? fromServiceError(error) : error;
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      call.cancel(); // no-op after a clean end; stops the server if the consumer broke out early
    }
  }

  private metadataFor(options: CallOptions): grpc.Metadata {
    const metadata = this.baseMetadata.clone();
    if (!options.metadata) return metadata;
    for (const [key, value] of Object.entries(options.metadata)) metadata.set(key, value);
    return metadata;
  }

  private callOptionsFor(options: CallOptions): grpc.CallOptions {
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs;
    if (options.deadline) return { deadline: options.deadline };
    return timeoutMs !== undefined ? { deadline: Date.now() + timeoutMs } : {};
  }
}

function isServiceError(error: unknown): error is grpc.ServiceError {
  return typeof error === 'object' && error !== null && 'code' in error && 'metadata' in error;
}

function abortedError(): SwitchyardError {
  return new SwitchyardError(grpc.status.CANCELLED, 'call aborted by the caller before it started');
}
