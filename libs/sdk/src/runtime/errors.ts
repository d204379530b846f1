import type { DescMessage, MessageShape } from '@bufbuild/protobuf';
import { create, createRegistry, fromBinary, toBinary } from '@bufbuild/protobuf';
import { anyPack, anyUnpack, type Any } from '@bufbuild/protobuf/wkt';
import { status as GrpcStatus, Metadata, type ServiceError } from '@grpc/grpc-js';
import { common, googleRpcFiles, rpc } from '@switchyard/contracts';

/** The metadata key grpc carries a serialized google.rpc.Status in (AIP-193). */
export const STATUS_DETAILS_KEY = 'grpc-status-details-bin';

const detailRegistry = createRegistry(...googleRpcFiles, common.file_switchyard_common_v1_usage);

/** The name of a gRPC status code, e.g. `RESOURCE_EXHAUSTED`. */
export function statusCodeName(code: number): string {
  return (GrpcStatus as unknown as Record<number, string>)[code] ?? `CODE_${code}`;
}

/** The structured details a Switchyard error may carry, unpacked. */
export interface ErrorDetails {
  errorInfo?: rpc.ErrorInfo;
  retryInfo?: rpc.RetryInfo;
  quotaFailure?: rpc.QuotaFailure;
  badRequest?: rpc.BadRequest;
  partialUsage?: common.PartialUsage;
  /** Every detail as sent, including types this client does not know. */
  raw: Any[];
}

/**
 * The error every Switchyard client call rejects with: the gRPC code, the server's message and the
 * structured details (ErrorInfo reason and metadata, RetryInfo, QuotaFailure, BadRequest, PartialUsage).
 */
export class SwitchyardError extends Error {
  override readonly name = 'SwitchyardError';
  constructor(
    readonly code: GrpcStatus,
    message: string,
    readonly details: ErrorDetails = { raw: [] },
    readonly metadata: Metadata = new Metadata(),
  ) {
    super(message);
  }
  /** The code's name, e.g. `INVALID_ARGUMENT`. */
  get codeName(): string {
    return statusCodeName(this.code);
  }
  /** ErrorInfo.reason, e.g. `BUDGET_EXHAUSTED`, when the server sent one. */
  get reason(): string | undefined {
    return this.details.errorInfo?.reason;
  }
  /** How long the server asked the caller to wait before retrying, in ms. */
  get retryDelayMs(): number | undefined {
    const delay = this.details.retryInfo?.retryDelay;
    return delay ? Number(delay.seconds) * 1000 + Math.round(delay.nanos / 1e6) : undefined;
  }
}

function unpackDetail<Desc extends DescMessage>(raw: Any[], schema: Desc): MessageShape<Desc> | undefined {
  for (const any of raw) {
    const message = anyUnpack(any, detailRegistry);
    if (message && message.$typeName === schema.typeName) return message as MessageShape<Desc>;
  }
  return undefined;
}

/** Decodes the google.rpc.Status details of a grpc-js error (tolerates their absence). */
export function decodeStatusDetails(metadata: Metadata | undefined): ErrorDetails {
  const bin = metadata?.get(STATUS_DETAILS_KEY)[0];
  if (!bin || typeof bin === 'string') return { raw: [] };
  let raw: Any[];
  try {
    raw = fromBinary(rpc.StatusSchema, bin).details;
  } catch {
    return { raw: [] };
  }
  return {
    errorInfo: unpackDetail(raw, rpc.ErrorInfoSchema),
    retryInfo: unpackDetail(raw, rpc.RetryInfoSchema),
    quotaFailure: unpackDetail(raw, rpc.QuotaFailureSchema),
    badRequest: unpackDetail(raw, rpc.BadRequestSchema),
    partialUsage: unpackDetail(raw, common.PartialUsageSchema),
    raw,
  };
}

/** Turns a grpc-js ServiceError into a SwitchyardError. */
export function fromServiceError(error: ServiceError): SwitchyardError {
  return new SwitchyardError(error.code, error.details || error.message, decodeStatusDetails(error.metadata), error.metadata);
}

/** A detail message ready to pack: any message of the google.rpc or common packages. */
export type StatusDetail = MessageShape<DescMessage>;

/**
 * Encodes a google.rpc.Status for the `grpc-status-details-bin` trailer. Servers use this through
 * grpc-kit's error mapping; it is exported so adapters in other languages' style can be mirrored.
 */
export function encodeStatusDetails(code: GrpcStatus, message: string, details: readonly StatusDetail[]): Buffer {
  const packed = details.map((detail) => {
    const schema = detailRegistry.getMessage(detail.$typeName);
    if (!schema) throw new Error(`cannot pack unknown detail type ${detail.$typeName}`);
    return anyPack(schema, detail);
  });
  return Buffer.from(toBinary(rpc.StatusSchema, create(rpc.StatusSchema, { code, message, details: packed })));
}
