// Calls below the SDK: arbitrary protobuf bytes through grpc-js (no client-side validation or
// serialization), and hand-made gRPC frames over plain HTTP/2 (a compressed flag nobody negotiated,
// a length prefix that lies, the wrong content type).
import { connect, constants as h2 } from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { fromServiceError, type SwitchyardError } from '@switchyard/sdk';

/** The outcome of a raw call. */
export interface RawCallResult {
  ok: boolean;
  /** The typed error (code, message, unpacked details) when it failed. */
  error?: SwitchyardError;
  response?: Buffer;
}

/** Options of {@link rawUnaryCall}. */
export interface RawCallOptions {
  metadata?: Record<string, string>;
  /** The client's own send limit (default 64 MiB, so the server's limit is what is tested). */
  maxSendBytes?: number;
  timeoutMs?: number;
}

const identity = (value: Buffer) => value;

/** Sends `payload` as the request message of a unary method, exactly as given. */
export function rawUnaryCall(address: string, path: string, payload: Uint8Array, options: RawCallOptions = {}): Promise<RawCallResult> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure(), {
    'grpc.max_send_message_length': options.maxSendBytes ?? 64 * 1024 * 1024,
    'grpc.max_receive_message_length': 64 * 1024 * 1024,
  });
  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries(options.metadata ?? {})) metadata.set(key, value);
  return new Promise<RawCallResult>((resolve) => {
    client.makeUnaryRequest(path, identity, identity, Buffer.from(payload), metadata, { deadline: Date.now() + (options.timeoutMs ?? 20_000) }, (error, response) => {
      client.close();
      resolve(error ? { ok: false, error: fromServiceError(error) } : { ok: true, response });
    });
  });
}

/** A gRPC length-prefixed message: compressed flag, 4-byte length (true or not), payload. */
export function grpcFrame(payload: Uint8Array, options: { compressed?: boolean; declaredLength?: number } = {}): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt8(options.compressed ? 1 : 0, 0);
  header.writeUInt32BE(options.declaredLength ?? payload.length, 1);
  return Buffer.concat([header, Buffer.from(payload)]);
}

/** What the server answered on the HTTP/2 level. */
export interface Http2CallResult {
  httpStatus: number;
  /** `grpc-status` from the trailers (or headers for a trailers-only answer); undefined when absent. */
  grpcStatus?: number;
  grpcMessage?: string;
}

/** POSTs `body` to `path` over HTTP/2 with gRPC headers (overridable), and reads status and trailers. */
export function rawHttp2Call(address: string, path: string, body: Buffer, headers: Record<string, string> = {}, timeoutMs = 10_000): Promise<Http2CallResult> {
  return new Promise((resolve, reject) => {
    const session = connect(`http://${address}`);
    const timer = setTimeout(() => {
      session.destroy();
      reject(new Error(`no answer from ${address}${path} within ${timeoutMs} ms`));
    }, timeoutMs);
    session.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    const stream = session.request({
      [h2.HTTP2_HEADER_METHOD]: 'POST',
      [h2.HTTP2_HEADER_PATH]: path,
      'content-type': 'application/grpc',
      te: 'trailers',
      ...headers,
    });
    const result: Http2CallResult = { httpStatus: 0 };
    const read = (fields: Record<string, unknown>) => {
      if (fields['grpc-status'] !== undefined) result.grpcStatus = Number(fields['grpc-status']);
      if (fields['grpc-message'] !== undefined) result.grpcMessage = decodeURIComponent(String(fields['grpc-message']));
    };
    stream.on('response', (fields) => {
      result.httpStatus = Number(fields[h2.HTTP2_HEADER_STATUS]);
      read(fields);
    });
    stream.on('trailers', read);
    stream.on('data', () => undefined);
    const finish = () => {
      clearTimeout(timer);
      session.close();
      resolve(result);
    };
    stream.on('end', finish);
    stream.on('error', finish);
    stream.end(body);
  });
}
