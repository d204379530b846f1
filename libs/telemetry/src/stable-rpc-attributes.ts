// instrumentation-grpc 0.223 still names its spans `grpc.pkg.Service/Method` with rpc.system,
// rpc.service, a short rpc.method and a numeric rpc.grpc.status_code. This processor adds the stable
// names (rpc.system.name, fully qualified rpc.method, rpc.status_code as a string, error.type) and
// the stable span name while the span is ending, so its client spans read like the server spans,
// which @switchyard/grpc-kit makes with the stable names from the start (and this processor skips).
import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { grpcStatusName } from './error-type';
import {
  ERROR_TYPE,
  LEGACY_RPC_GRPC_STATUS_CODE,
  LEGACY_RPC_SERVICE,
  LEGACY_RPC_SYSTEM,
  RPC_METHOD,
  RPC_STATUS_CODE,
  RPC_SYSTEM_NAME,
  RPC_SYSTEM_NAME_GRPC,
} from './gen-ai-attributes';

/** Maps the gRPC instrumentation's legacy attributes to the stable RPC conventions on every span. */
export class StableRpcAttributesSpanProcessor implements SpanProcessor {
  onStart(_span: Span, _parentContext: Context): void {
    // The instrumentation sets its attributes after start; the mapping happens in onEnding.
  }

  onEnding(span: Span): void {
    const attributes = span.attributes;
    if (attributes[LEGACY_RPC_SYSTEM] !== RPC_SYSTEM_NAME_GRPC) return;
    span.setAttribute(RPC_SYSTEM_NAME, RPC_SYSTEM_NAME_GRPC);
    const service = attributes[LEGACY_RPC_SERVICE];
    const method = attributes[RPC_METHOD];
    if (typeof service === 'string' && typeof method === 'string' && !method.includes('/')) span.setAttribute(RPC_METHOD, `${service}/${method}`);
    const code = attributes[LEGACY_RPC_GRPC_STATUS_CODE];
    if (typeof code === 'number' && attributes[RPC_STATUS_CODE] === undefined) {
      const name = grpcStatusName(code);
      span.setAttribute(RPC_STATUS_CODE, name);
      if (code !== 0 && attributes[ERROR_TYPE] === undefined) span.setAttribute(ERROR_TYPE, name);
    }
    // The stable span name is the fully qualified method, without the instrumentation's `grpc.` prefix.
    if (span.name.startsWith('grpc.') && span.name.includes('/')) span.updateName(span.name.slice('grpc.'.length));
  }

  onEnd(_span: ReadableSpan): void {
    // Already mapped in onEnding, while the span could still change.
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
