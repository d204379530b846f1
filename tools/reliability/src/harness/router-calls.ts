// The two ways a customer calls the router, as load-loop calls that keep what the scenarios check:
// which model answered, what it cost, and for streams whether any delta reached the caller before
// a failure (a stream that broke after its first token is billed for what it consumed).
import { chatMessage, SwitchyardError, type CallOptions, type RouterServiceClient } from '@switchyard/sdk';

/** What a call learned, kept by request id. */
export interface RouterCallRecord {
  /** The request id the router answered with (its own for a call sent without one). */
  routerRequestId?: string;
  /** The trace id the router answered with: where its spans are. */
  traceId?: string;
  provider?: string;
  costNanos?: bigint;
  /** The route's attempts as `provider:STATUS` (e.g. `openai:DEADLINE_EXCEEDED`, `anthropic:OK`). */
  attempts?: string[];
  /** Deltas received (streams). */
  deltas: number;
  /** The PartialUsage detail of a broken stream. */
  partialUsage?: { outputTokens: bigint; deliveredCharacters: bigint; estimated: boolean };
}

/** Records of calls, by request id. */
export type CallRecords = Map<string, RouterCallRecord>;

/** Options for one router call. */
export interface RouterCallOptions {
  prompt?: string;
  maxOutputTokens?: number;
  model?: string;
  project?: string;
  /**
   * Send no request id, so the router makes one up (and may admit the call under a budget lease); the
   * call's label travels as `context.end_user_id` instead, so its ledger row can still be found.
   */
  idless?: boolean;
  call?: CallOptions;
}

/** The request context of a call labelled `label`. */
function requestContext(label: string, options: RouterCallOptions) {
  const project = options.project ?? '';
  return options.idless ? { endUserId: label, project } : { requestId: label, project };
}

/** A unary Generate whose record lands in `records`. */
export async function generateOnce(client: RouterServiceClient, requestId: string, records: CallRecords, options: RouterCallOptions = {}): Promise<Record<string, unknown>> {
  const record: RouterCallRecord = { deltas: 0 };
  records.set(requestId, record);
  const response = await client.generate(
    {
      messages: [chatMessage('user', options.prompt ?? `Say hello to request ${requestId}`)],
      model: options.model ?? '',
      params: options.maxOutputTokens ? { maxOutputTokens: options.maxOutputTokens } : undefined,
      context: requestContext(requestId, options),
    },
    { timeoutMs: 15_000, ...options.call },
  );
  record.routerRequestId = response.requestId;
  record.traceId = response.traceId;
  record.provider = response.route?.chosen?.provider;
  record.costNanos = response.cost?.nanosUsd;
  record.attempts = response.route?.attempts.map((a) => `${a.model?.provider}:${a.statusCode}`);
  return { provider: record.provider ?? '', costNanos: String(record.costNanos ?? 0n), attempts: (record.attempts ?? []).join(',') };
}

/** A StreamGenerate read to its end; a failure keeps the number of deltas that arrived first. */
export async function streamOnce(client: RouterServiceClient, requestId: string, records: CallRecords, options: RouterCallOptions = {}): Promise<Record<string, unknown>> {
  const record: RouterCallRecord = { deltas: 0 };
  records.set(requestId, record);
  try {
    let finished = false;
    for await (const event of client.streamGenerate(
      {
        messages: [chatMessage('user', options.prompt ?? `Tell a short story about request ${requestId} in a few words`)],
        model: options.model ?? '',
        params: options.maxOutputTokens ? { maxOutputTokens: options.maxOutputTokens } : undefined,
        context: requestContext(requestId, options),
      },
      { timeoutMs: 15_000, ...options.call },
    )) {
      if (event.event.case === 'delta') record.deltas++;
      else if (event.event.case === 'final') {
        finished = true;
        record.routerRequestId = event.event.value.requestId;
        record.traceId = event.event.value.traceId;
        record.provider = event.event.value.route?.chosen?.provider;
        record.costNanos = event.event.value.cost?.nanosUsd;
        record.attempts = event.event.value.route?.attempts.map((a) => `${a.model?.provider}:${a.statusCode}`);
      }
    }
    if (!finished) throw new Error('stream ended without a final event');
    return { provider: record.provider ?? '', deltas: record.deltas, attempts: (record.attempts ?? []).join(',') };
  } catch (error) {
    const partial = error instanceof SwitchyardError ? error.details.partialUsage : undefined;
    if (partial) {
      record.partialUsage = {
        outputTokens: partial.usage?.outputTokens ?? 0n,
        deliveredCharacters: partial.deliveredCharacters,
        estimated: partial.estimated,
      };
    }
    throw error;
  }
}
