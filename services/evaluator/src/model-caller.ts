import { create } from '@bufbuild/protobuf';
import { common } from '@switchyard/contracts';
import { SwitchyardError } from '@switchyard/sdk';

/** One turn of a conversation sent to a model. */
export interface ChatTurn {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** Sampling controls the evaluator sets. */
export interface CallParams {
  temperature?: number;
  maxOutputTokens?: number;
  /** Ask for a JSON object reply. */
  jsonOutput?: boolean;
}

/** Why the evaluator is calling: becomes a cost-attribution tag (`eval:run`, `eval:judge`, `eval:shadow`). */
export type CallPurpose = 'run' | 'judge' | 'shadow';

/** One model call. */
export interface ModelCallRequest {
  /** The model, "provider/model" or a bare model id. */
  model: string;
  messages: ChatTurn[];
  params?: CallParams;
  /** Idempotency key: the same item of the same run always sends the same id, so a retried call is billed once. */
  requestId: string;
  /** The call's deadline, ms from now. */
  timeoutMs: number;
  signal?: AbortSignal;
  purpose: CallPurpose;
}

/** A model's reply with its accounting. */
export interface ModelCallResult {
  text: string;
  /** What the call cost, nano-USD (0 when no price is known). */
  costNanos: bigint;
  latencyMs: number;
  inputTokens: bigint;
  outputTokens: bigint;
  /** The model that answered, as the upstream reported it. */
  servedModel: string;
}

/** A failed model call, classified once so the run executor can decide on retries. */
export class ModelCallError extends Error {
  override readonly name = 'ModelCallError';
  constructor(
    message: string,
    /** gRPC status name, e.g. UNAVAILABLE. */
    readonly code: string,
    /** Worth another attempt (upstream unavailable or rate limited). */
    readonly retryable: boolean,
    /** How long the server asked us to wait before retrying. */
    readonly retryDelayMs?: number,
  ) {
    super(message);
  }
}

/**
 * How the evaluator reaches models: through the router with the evaluation team's key (the
 * normal path: judge and run calls are billed to the evaluation cost centre), or straight to a
 * provider adapter for pinned runs.
 */
export interface ModelCaller {
  readonly kind: 'router' | 'provider';
  generate(request: ModelCallRequest): Promise<ModelCallResult>;
  close(): void;
}

const ROLES = { system: common.Role.SYSTEM, user: common.Role.USER, assistant: common.Role.ASSISTANT } as const;

/** Turns evaluator turns into contract chat messages. */
export function toChatMessages(turns: readonly ChatTurn[]): common.ChatMessage[] {
  return turns.map((turn) => create(common.ChatMessageSchema, { role: ROLES[turn.role], parts: [{ kind: { case: 'text', value: turn.content } }] }));
}

/** Turns evaluator params into contract generation params. */
export function toGenerationParams(params: CallParams | undefined): common.GenerationParams {
  return create(common.GenerationParamsSchema, {
    temperature: params?.temperature,
    maxOutputTokens: params?.maxOutputTokens,
    responseFormat: params?.jsonOutput ? { type: common.ResponseFormatType.JSON_OBJECT } : undefined,
  });
}

const RETRYABLE = new Set(['UNAVAILABLE', 'RESOURCE_EXHAUSTED']);
// Budget exhaustion is RESOURCE_EXHAUSTED too, but waiting a few seconds will not refill a budget.
const FINAL_REASONS = new Set(['BUDGET_EXHAUSTED', 'BUDGET_EXCEEDED']);

/** Classifies an SDK error (or anything thrown by a call) as a ModelCallError. */
export function modelCallError(error: unknown): ModelCallError {
  if (error instanceof ModelCallError) return error;
  if (error instanceof SwitchyardError) {
    const retryable = RETRYABLE.has(error.codeName) && !FINAL_REASONS.has(error.reason ?? '');
    return new ModelCallError(`${error.codeName}: ${error.message}`, error.codeName, retryable, error.retryDelayMs);
  }
  return new ModelCallError(error instanceof Error ? error.message : String(error), 'UNKNOWN', false);
}
