import type { MessageInitShape } from '@bufbuild/protobuf';
import type { router } from '@switchyard/contracts';

/** A GenerateRequest (or StreamGenerateRequest: the fields are the same) as an init shape. */
export type GenerateInit = MessageInitShape<typeof router.GenerateRequestSchema>;
/** One chat message as an init shape. */
export type ChatMessageInit = NonNullable<GenerateInit['messages']>[number];
/** Routing hints as an init shape. */
export type RoutingInit = MessageInitShape<typeof router.RoutingOptionsSchema>;

/**
 * What the edge knows about the caller from headers rather than the body: the idempotency key,
 * attribution and routing hints. The team is never here: the router takes it from the API key.
 */
export interface RouterCaller {
  /** The request id the router and billing key on (the caller's idempotency key, or one the edge made). */
  readonly requestId: string;
  /** `x-switchyard-project`. */
  readonly project?: string;
  /** `x-switchyard-feature-tags`, comma separated. */
  readonly featureTags?: readonly string[];
  /** `x-switchyard-quality-target` and friends. */
  readonly routing?: RoutingInit;
}

/** The CallerContext init for a request: header fields plus the body's end-user id. */
export function callerContext(caller: RouterCaller, endUserId: string | undefined): NonNullable<GenerateInit['context']> {
  return {
    requestId: caller.requestId,
    project: caller.project ?? '',
    featureTags: [...(caller.featureTags ?? [])],
    endUserId: endUserId ?? '',
  };
}
