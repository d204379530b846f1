/**
 * gRPC load targets for the load generator (load-generator.ts). No npm gRPC load tool exists (the
 * npm `ghz` is an empty placeholder) and h2load checks only the HTTP status, so these use grpc-js and
 * check the grpc-status of every reply:
 *   - `sdkUnaryTarget` / `sdkStreamTarget`: calls through the generated Switchyard SDK, as a customer makes them;
 *   - `createRawUnaryTarget`: one pre-encoded request sent with grpc-js and identity serializers, the
 *     cheapest possible client, for capacity probes where the client's own CPU must not count.
 */
import * as grpc from '@grpc/grpc-js';
import { SwitchyardError, statusCodeName } from '@switchyard/sdk';
import type { CallOutcome, LoadTarget } from './load-generator';

/** The outcome of a failed call: the gRPC status name when the error carries one. */
export function grpcFailure(error: unknown): CallOutcome {
  if (error instanceof SwitchyardError) return { ok: false, status: error.codeName, error: error.message };
  const code = (error as { code?: unknown })?.code;
  if (typeof code === 'number') return { ok: false, status: statusCodeName(code), error: String((error as Error).message) };
  return { ok: false, status: 'CLIENT_ERROR', error: String(error) };
}

/**
 * A unary call through an SDK client: `ok` only when the promise resolves, which grpc-js does only
 * for grpc-status 0; any other status rejects with a SwitchyardError carrying it.
 */
export function sdkUnaryTarget(call: () => Promise<unknown>): LoadTarget {
  return () =>
    call().then(
      () => ({ ok: true, status: 'OK' }),
      (error: unknown) => grpcFailure(error),
    );
}

/**
 * A server-streaming call through an SDK client, read to the end: `ok` when the stream ends with
 * grpc-status 0 and carried at least one delta; `firstDeltaMs` is the time to the first delta.
 */
export function sdkStreamTarget<T>(open: () => AsyncIterable<T>, isDelta: (event: T) => boolean): LoadTarget {
  return async () => {
    const t0 = performance.now();
    let firstDeltaMs: number | undefined;
    try {
      for await (const event of open()) if (firstDeltaMs === undefined && isDelta(event)) firstDeltaMs = performance.now() - t0;
    } catch (error) {
      return grpcFailure(error);
    }
    return firstDeltaMs === undefined ? { ok: false, status: 'NO_DELTA', error: 'the stream ended without a delta' } : { ok: true, status: 'OK', firstDeltaMs };
  };
}

/** Options for createRawUnaryTarget. */
export interface RawUnaryTargetOptions {
  /** `host:port`. */
  address: string;
  /** `/package.Service/Method`. */
  path: string;
  /** The request, already protobuf-encoded. */
  requestBytes: Uint8Array;
  /** Metadata on every call, e.g. `{ authorization: 'Bearer ...' }`. */
  metadata?: Record<string, string>;
  /** Per-call deadline, ms (default 10 000). */
  timeoutMs?: number;
}

/** A raw unary target and the channel it owns. */
export interface RawUnaryTarget {
  target: LoadTarget;
  close(): void;
}

/**
 * Sends the same pre-encoded request on one grpc-js channel; replies are not decoded, only their
 * grpc-status is checked (the callback gets an error for every status but OK).
 */
export function createRawUnaryTarget(options: RawUnaryTargetOptions): RawUnaryTarget {
  const client = new grpc.Client(options.address, grpc.credentials.createInsecure());
  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries(options.metadata ?? {})) metadata.set(key, value);
  const request = Buffer.from(options.requestBytes);
  const identity = (bytes: Buffer) => bytes;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const target: LoadTarget = () =>
    new Promise<CallOutcome>((resolve) => {
      client.makeUnaryRequest(options.path, identity, identity, request, metadata, { deadline: Date.now() + timeoutMs }, (error) =>
        resolve(error ? { ok: false, status: statusCodeName(error.code), error: error.details } : { ok: true, status: 'OK' }),
      );
    });
  return { target, close: () => client.close() };
}
