/**
 * RouterService handlers: Generate, StreamGenerate, ExplainRoute, ListModels. The request path is
 * authenticate (the harness) → validate → classify → choose → hold budget → call with fallback →
 * account (durable outbox) → respond. Under the gRPC server span, with the team's attribution as
 * baggage, the steps have their spans: route.decide, budget.reserve, one `chat {model}` per attempt,
 * budget.settle (see request-tracing.ts and docs/observability.md).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { status } from '@grpc/grpc-js';
import { context as otelContext, isSpanContextValid, trace, type Span } from '@opentelemetry/api';
import type { PromptClassification, PromptClassifier } from '@switchyard/classifier';
import { billing, common, type provider, router } from '@switchyard/contracts';
import { deadlineExceeded, invalidArgument, permissionDenied, resourceExhausted, ServiceFailure, unavailable, type FailureDetails } from '@switchyard/grpc-kit';
import { computeCost, type CatalogPrice } from '@switchyard/pricing';
import { statusCodeName, SwitchyardError, type RouterServiceImplementation, type ServerCallContext } from '@switchyard/sdk';
import {
  budgetAttributes,
  currentTraceparent,
  recordSpanError,
  setCostAttributes,
  setGenAiResponseAttributes,
  setTimeToFirstChunk,
  SPAN_BUDGET_RESERVE,
  SPAN_BUDGET_SETTLE,
  SPAN_ROUTE_DECIDE,
  SWITCHYARD_BUDGET_LEASE,
  SWITCHYARD_BUDGET_LEASE_ID,
  withGenAiSpan,
  withSpan,
  withTrustedBaggage,
  withTrustedBaggageStream,
} from '@switchyard/telemetry';
import type { Logger } from 'pino';
import { AttemptFailure, CircuitOpenError, type AdapterPool } from './adapter-pool';
import type { BudgetGate, BudgetHold } from './budget';
import type { LatencyTracker } from './latency-tracker';
import type { OnlineSampler } from './online-sampler';
import type { ModelCatalog } from './model-catalog';
import { AUTO_ALIAS, chooseRoute, type RouteCandidate, type RouteChoice, type RouteRefusal } from './policy/choose-route';
import type { PolicySource } from './policy/policy-loader';
import { anyModelMatches, type TeamPolicy } from './policy/policy-schema';
import { classificationInit, durationFromMs, routeDecisionInit, type RouteDecisionInit } from './policy/route-decision';
import type { PriceSource } from './price-source';
import { readPrompt, type PromptReading } from './prompt-reading';
import { attemptInfo, attemptResponseInfo, attributionOf, decisionAttributes, NO_ATTRIBUTES, startStreamAttemptSpan, type FailedAttempt } from './request-tracing';
import type { QualityScores } from './quality-scores';
import { buildCandidates, latencyKey } from './route-candidates';
import { validateRoutedRequest, type RoutedRequest } from './request-validation';
import { requestFingerprint, type ServedRequestKind, type ServedRequests, type ServingTicket } from './served-requests';
import type { UsageOutbox } from './usage-outbox';

/** What the router reports about every routed request (router-metrics.ts turns it into metrics). */
export interface RoutedRequestSummary {
  method: 'Generate' | 'StreamGenerate';
  requestId: string;
  traceId: string;
  teamId: string;
  project: string;
  rule: string;
  chosen?: { provider: string; model: string; deployment: string };
  fallbacks: number;
  /** gRPC status code name of the outcome. */
  statusCode: string;
  usage?: common.TokenUsage;
  costNanos?: bigint;
  latencyMs: number;
  timeToFirstTokenMs?: number;
  budgetChecked: boolean;
  classification?: PromptClassification;
}

/** One call to an adapter, as reported to hooks. */
export interface AttemptSummary {
  requestId: string;
  teamId: string;
  model: { provider: string; model: string; deployment: string };
  /** gRPC status code name, `OK` on success. */
  statusCode: string;
  durationMs: number;
  /** 1 for the first attempt; more means a fallback. */
  attempt: number;
  /** On a fallback: the deployment model whose failed attempt led to this one, and that failure's status code name. */
  fallbackFrom?: { provider: string; model: string; deployment: string };
  fallbackReason?: string;
}

/** Optional hooks for telemetry (metrics, logs); none of them may throw. */
export interface RouterHooks {
  /** Every routed request, once it ends (success or failure). */
  onRequestFinished?(summary: RoutedRequestSummary): void;
  /** Every adapter call. */
  onAttemptFinished?(attempt: AttemptSummary): void;
  /** A deployment's circuit changed state; `models` are the deployment's models the catalog knows. */
  onCircuitChange?(deployment: string, state: 'open' | 'half_open' | 'closed', models: ReadonlyArray<{ provider: string; model: string }>): void;
  /** A request went ahead without a budget check because billing was unreachable (fail-open). */
  onBudgetUnchecked?(teamId: string): void;
}

/** Timing settings of the request path. */
export interface RouterTimings {
  /** Deadline when the caller sets none, ms. */
  defaultDeadlineMs: number;
  /** Kept back from the caller's deadline for the router's own work, ms. */
  deadlineMarginMs: number;
  /** Longest wait for an adapter's first byte (unary: its reply) before falling back, ms. */
  firstByteTimeoutMs: number;
}

/** Dependencies of the router service. */
export interface RouterServiceOptions {
  policy: PolicySource;
  classifier: PromptClassifier;
  /** Prompt characters the classifier reads. */
  maxClassifierChars: number;
  catalog: ModelCatalog;
  pool: AdapterPool;
  quality: QualityScores;
  latency: LatencyTracker;
  prices: PriceSource;
  budget: BudgetGate;
  outbox: Pick<UsageOutbox, 'append'>;
  timings: RouterTimings;
  /** Online sampling for the evaluator (teams with `onlineSampleRate` > 0 only). */
  sampler?: OnlineSampler;
  /**
   * AIP-155 within this process: requests with a caller-chosen request id are served once; a retry of a
   * completed Generate gets its response again (see served-requests.ts). Without it every call is served.
   */
  servedRequests?: ServedRequests<GenerateAnswer>;
  logger?: Logger;
  hooks?: RouterHooks;
}

interface RoutePlan {
  teamId: string;
  teamPolicy: TeamPolicy;
  requestId: string;
  traceId: string;
  /** `traceparent` to send to adapters when no OpenTelemetry SDK propagates one. */
  traceparent?: string;
  reading: PromptReading;
  classification: PromptClassification;
  choice: RouteChoice;
  decision: RouteDecisionInit;
}

/** One event of the router's StreamGenerate. */
type StreamEvent = MessageInitShape<typeof router.StreamGenerateResponseSchema>;
/** The router's Generate answer. */
export type GenerateAnswer = MessageInitShape<typeof router.GenerateResponseSchema>;

const FALLBACK_STOPPERS = new Set<number>([status.INVALID_ARGUMENT, status.OUT_OF_RANGE]);
const COUNTS_AGAINST_DEPLOYMENT = new Set<number>([
  status.UNAVAILABLE,
  status.RESOURCE_EXHAUSTED,
  status.DEADLINE_EXCEEDED,
  status.INTERNAL,
  status.UNKNOWN,
  status.FAILED_PRECONDITION,
  status.UNAUTHENTICATED,
  status.PERMISSION_DENIED,
  status.UNIMPLEMENTED,
]);

/** Approximate memory of a kept Generate answer (UTF-16 text plus a fixed allowance for the rest), for the served-requests bound. */
export function approximateAnswerBytes(answer: GenerateAnswer): number {
  let chars = 0;
  for (const part of answer.message?.parts ?? []) if (part.kind?.case === 'text') chars += part.kind.value.length;
  for (const call of answer.message?.toolCalls ?? []) chars += (call.id?.length ?? 0) + (call.name?.length ?? 0) + (call.argumentsJson?.length ?? 0);
  return 2048 + 2 * chars;
}

/** FNV-1a of the request id scaled to [0, 1): a stable canary draw per request id. */
export function canaryDraw(requestId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < requestId.length; i++) {
    hash ^= requestId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) / 0x1_0000_0000;
}

const TRACEPARENT = /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}$/;

function traceIdOf(context: ServerCallContext): { traceId: string; forward?: string } {
  const span = trace.getActiveSpan()?.spanContext();
  if (span && isSpanContextValid(span)) return { traceId: span.traceId };
  const incoming = context.metadata.get('traceparent')[0];
  const match = typeof incoming === 'string' ? TRACEPARENT.exec(incoming) : null;
  if (match) return { traceId: match[1]!, forward: incoming as string };
  const traceId = randomBytes(16).toString('hex');
  return { traceId, forward: `00-${traceId}-${randomBytes(8).toString('hex')}-01` };
}

function refusalToFailure(refusal: RouteRefusal): ServiceFailure {
  switch (refusal.kind) {
    case 'invalid_argument':
      return invalidArgument(refusal.field ?? 'messages', refusal.message, refusal.reason);
    case 'permission_denied':
      return permissionDenied(refusal.message, refusal.reason);
    case 'failed_precondition':
      return new ServiceFailure(status.FAILED_PRECONDITION, refusal.message, { reason: refusal.reason });
    default:
      return unavailable(refusal.message, refusal.reason);
  }
}

function errorCode(error: unknown): number {
  return error instanceof SwitchyardError ? error.code : status.UNKNOWN;
}

/**
 * The usage with `estimated` set when the adapter flagged it beside the counts rather than in them
 * (StreamFinal.usage_estimated, PartialUsage.estimated), so the caller and billing see one flag.
 */
function markedEstimated(usage: common.TokenUsage | undefined, estimated: boolean): common.TokenUsage | undefined {
  return usage && estimated && !usage.estimated ? { ...usage, estimated: true } : usage;
}

function ms(from: number): number {
  return performance.now() - from;
}

/** Creates the RouterService implementation. */
export function createRouterService(options: RouterServiceOptions): RouterServiceImplementation {
  const { policy, classifier, catalog, pool, quality, latency, prices, budget, outbox, timings, sampler, servedRequests, logger, hooks } = options;

  const finish = (summary: RoutedRequestSummary) => {
    try {
      hooks?.onRequestFinished?.(summary);
    } catch (error) {
      logger?.warn({ err: (error as Error).message }, 'onRequestFinished hook threw');
    }
  };

  const teamOf = (context: ServerCallContext): { teamId: string; teamPolicy: TeamPolicy } => {
    const teamId = context.principal?.teamId;
    if (!teamId) throw new ServiceFailure(status.UNAUTHENTICATED, 'no team: call with an API key', { reason: 'API_KEY_MISSING' });
    const teamPolicy = policy.teamPolicy(teamId);
    if (!teamPolicy) throw permissionDenied(`team ${teamId} has no routing policy; ask an operator to add it`, 'TEAM_NOT_CONFIGURED', { team_id: teamId });
    return { teamId, teamPolicy };
  };

  /** Validate → classify → choose. Pure in-process work; throws the gRPC failure when there is no route. */
  const plan = (request: RoutedRequest, context: ServerCallContext, streaming: boolean): RoutePlan => {
    const { teamId, teamPolicy } = teamOf(context);
    validateRoutedRequest(request);
    const reading = readPrompt(request, { maxClassifierChars: options.maxClassifierChars, streaming });
    const classification = classifier.classify(reading.features);
    const requestId = request.context?.requestId || randomUUID();
    const routing = request.routing;
    const objective = routing?.latencyObjective;
    const choice = chooseRoute({
      teamId,
      policy: policy.current(),
      teamPolicy,
      candidates: buildCandidates({ catalog, pool, latency, prices, quality }, new Date()),
      classification,
      quality,
      request: {
        requestedModel: request.model,
        estimatedInputTokens: reading.estimatedInputTokens,
        maxInputTokens: reading.maxInputTokens,
        maxOutputTokens: request.params?.maxOutputTokens,
        needs: reading.needs,
        featureTags: request.context?.featureTags ?? [],
        routing: {
          qualityTarget: routing && routing.qualityTarget > 0 ? routing.qualityTarget : undefined,
          maxCostNanosUsd: routing && routing.maxCostNanosUsd > 0n ? routing.maxCostNanosUsd : undefined,
          latencyObjectiveMs: objective ? Number(objective.seconds) * 1000 + objective.nanos / 1e6 : undefined,
          disableFallback: routing?.disableFallback ?? false,
        },
        canaryDraw: canaryDraw(requestId),
      },
    });
    if (!choice.ok) throw refusalToFailure(choice);
    const trace = traceIdOf(context);
    return { teamId, teamPolicy, requestId, traceId: trace.traceId, traceparent: trace.forward, reading, classification, choice, decision: routeDecisionInit(choice, classification) };
  };

  const deadlineOf = (context: ServerCallContext) => (context.deadline ? context.deadline.getTime() : Date.now() + timings.defaultDeadlineMs);
  /**
   * The time window of one adapter attempt: undefined once the caller's deadline has passed, else how long
   * the attempt may wait for its first byte and whether that limit is the caller's own deadline.
   */
  const attemptWindow = (deadlineAt: number) => {
    const remaining = deadlineAt - timings.deadlineMarginMs - Date.now();
    if (remaining <= 0) return undefined;
    const firstByteMs = Math.min(remaining, timings.firstByteTimeoutMs);
    return { firstByteMs, callerDeadline: firstByteMs === remaining };
  };
  /**
   * A stream attempt's cancellation: a signal that aborts on the caller's cancellation or on the
   * attempt's own controller (its first-byte timer, the relay's end). A unary attempt needs neither:
   * its deadline ends it, so it takes the caller's signal as it is (AbortSignal.any costs ~10 µs).
   */
  const streamAttemptAbort = (context: ServerCallContext) => {
    const controller = new AbortController();
    return { controller, signal: AbortSignal.any([context.signal, controller.signal]) };
  };

  /** plan() inside the route.decide span. */
  const decide = (request: RoutedRequest, context: ServerCallContext, streaming: boolean): RoutePlan =>
    withSpan(SPAN_ROUTE_DECIDE, NO_ATTRIBUTES, (span) => {
      const p = plan(request, context, streaming);
      if (span.isRecording()) span.setAttributes(decisionAttributes(p.choice, p.classification));
      return p;
    });

  /**
   * Holds the request's estimated maximum cost. A request whose id the router made up may be admitted
   * under a budget lease, in memory; a caller's request id keeps its own hold, which is also how billing
   * refuses an id another replica already served (AIP-155).
   */
  const reserve = (p: RoutePlan, request: RoutedRequest, deadlineAt: number): Promise<BudgetHold> =>
    withSpan(SPAN_BUDGET_RESERVE, NO_ATTRIBUTES, async (span) => {
      const hold = await budget.reserve({
        requestId: p.requestId,
        teamId: p.teamId,
        project: request.context?.project ?? '',
        amountNanos: p.choice.estimatedMaxCostNanos,
        ttlMs: Math.max(0, deadlineAt - Date.now()) + 60_000,
        leasable: !request.context?.requestId,
      });
      if (span.isRecording()) {
        span.setAttributes(budgetAttributes({ reservationId: hold.reservationId, heldNanosUsd: hold.checked ? hold.heldNanos : undefined }));
        if (hold.lease) span.setAttributes({ [SWITCHYARD_BUDGET_LEASE]: true, [SWITCHYARD_BUDGET_LEASE_ID]: hold.lease.leaseId });
      }
      return hold;
    });

  /** Gives an unused hold back (nothing was consumed): to its lease at once, or to billing in the background inside a budget.settle span. */
  const release = (hold: BudgetHold) => {
    if (hold.lease) return void budget.release(hold);
    if (!hold.reservationId) return;
    void withSpan(SPAN_BUDGET_SETTLE, budgetAttributes({ reservationId: hold.reservationId }), () => budget.release(hold));
  };

  /** The traceparent stored with the request's usage row (billing's ingest span links to it): the server span's. */
  const traceparentOf = (p: RoutePlan) => currentTraceparent() ?? p.traceparent;

  /** Price a usage: the cost billing will record and the baseline counterfactual. */
  const priceUsage = (candidate: RouteCandidate, usage: common.TokenUsage | undefined, teamPolicy: TeamPolicy, at: Date) => {
    const tokens = {
      inputTokens: usage?.inputTokens ?? 0n,
      outputTokens: usage?.outputTokens ?? 0n,
      cachedInputTokens: usage?.cachedInputTokens ?? 0n,
      cacheWriteInputTokens: usage?.cacheWriteInputTokens ?? 0n,
    };
    const price: CatalogPrice | undefined = prices.priceAt(candidate.ref, at) ?? candidate.price;
    // Without a policy baseline, billing compares with the team's default (or the model itself, as here).
    const baselineModel = teamPolicy.baselineModel ?? candidate.key;
    const slash = baselineModel.indexOf('/');
    const baselinePrice = teamPolicy.baselineModel ? prices.priceAt({ provider: baselineModel.slice(0, slash), model: baselineModel.slice(slash + 1) }, at) : price;
    const nanosUsd = price ? computeCost(tokens, price) : 0n;
    return create(common.CostSchema, {
      nanosUsd,
      priceVersion: price?.version ?? '',
      baselineNanosUsd: baselinePrice ? computeCost(tokens, baselinePrice) : nanosUsd,
      baselineModel,
    });
  };

  const usageRecord = (
    p: RoutePlan,
    request: RoutedRequest,
    candidate: RouteCandidate,
    usage: common.TokenUsage | undefined,
    hold: BudgetHold,
    at: Date,
    latencyMs: number,
    outcome: billing.UsageOutcome,
  ) =>
    create(billing.UsageRecordSchema, {
      requestId: p.requestId,
      time: timestampFromDate(at),
      teamId: p.teamId,
      project: request.context?.project ?? '',
      featureTags: request.context?.featureTags ?? [],
      endUserId: request.context?.endUserId ?? '',
      model: { ...candidate.ref },
      usage: usage ?? {},
      baselineModel: p.teamPolicy.baselineModel ?? '',
      latency: durationFromMs(latencyMs),
      outcome,
      reservationId: hold.reservationId,
      routeRule: p.choice.rule,
    });

  /**
   * Appends to the durable outbox; a reply that cannot be accounted for is not returned. The row
   * carries the reservation id and billing settles the hold when it records the row, so this is
   * the router's side of the settlement: the budget.settle span. (Under a lease the row carries no
   * reservation id: billing adds its cost to spent, and the lease is returned once billing has it.)
   */
  const account = (record: billing.UsageRecord, traceparent: string | undefined) =>
    withSpan(SPAN_BUDGET_SETTLE, budgetAttributes({ reservationId: record.reservationId }), async () => {
      try {
        await outbox.append(record, traceparent);
      } catch (error) {
        logger?.error({ err: (error as Error).message, request_id: record.requestId }, 'usage could not be made durable');
        throw unavailable('the reply could not be accounted for durably, so it is not returned; retry', 'USAGE_NOT_DURABLE');
      }
    });

  const attemptRecord = (p: RoutePlan, attempts: unknown[], candidate: RouteCandidate, code: number, message: string, durationMs: number, fallbackFrom: FailedAttempt | undefined) => {
    try {
      hooks?.onAttemptFinished?.({
        requestId: p.requestId,
        teamId: p.teamId,
        model: { ...candidate.ref },
        statusCode: statusCodeName(code),
        durationMs,
        attempt: attempts.length + 1,
        ...(fallbackFrom ? { fallbackFrom: { ...fallbackFrom.candidate.ref }, fallbackReason: statusCodeName(fallbackFrom.code) } : {}),
      });
    } catch (error) {
      logger?.warn({ err: (error as Error).message }, 'onAttemptFinished hook threw');
    }
    return { model: { ...candidate.ref }, statusCode: statusCodeName(code), errorMessage: message, duration: durationFromMs(durationMs) };
  };

  /** The error to return when every candidate failed before answering. */
  const exhaustedFailure = (failures: AttemptFailure[], skipped: string[], deadlinePassed: boolean): ServiceFailure => {
    if (deadlinePassed) return deadlineExceeded(`the caller's deadline passed after ${failures.length} attempt(s)${failures.length ? `: ${failures.map((f) => f.message).join('; ')}` : ''}`);
    if (failures.length > 0 && failures.every((f) => f.code === status.RESOURCE_EXHAUSTED)) {
      const delays = failures.map((f) => (f.original instanceof SwitchyardError ? f.original.retryDelayMs : undefined)).filter((d): d is number => d !== undefined);
      return resourceExhausted(`every candidate is rate limited upstream: ${failures.map((f) => f.message).join('; ')}`, {
        reason: 'UPSTREAM_RATE_LIMITED',
        retryDelayMs: delays.length ? Math.min(...delays) : 1000,
      });
    }
    const parts = [...failures.map((f) => f.message), ...skipped];
    return unavailable(`every candidate failed: ${parts.join('; ')}`, 'ALL_CANDIDATES_FAILED');
  };

  /** An adapter error as an AttemptFailure: fallback-worthy unless the request itself is at fault. */
  const attemptFailure = (error: unknown, candidate: RouteCandidate, callerDeadline: boolean, firstByteTimedOut: boolean): AttemptFailure => {
    if (error instanceof AttemptFailure) return error;
    const code = firstByteTimedOut ? status.DEADLINE_EXCEEDED : errorCode(error);
    const message = firstByteTimedOut
      ? `${candidate.key}@${candidate.ref.deployment}: no first byte within ${timings.firstByteTimeoutMs} ms`
      : `${candidate.key}@${candidate.ref.deployment}: ${statusCodeName(code)} ${(error as Error).message}`;
    const counts = COUNTS_AGAINST_DEPLOYMENT.has(code) && !(code === status.DEADLINE_EXCEEDED && callerDeadline && !firstByteTimedOut);
    return new AttemptFailure(code, message, counts, error);
  };

  const upstreamRejection = (failure: AttemptFailure): ServiceFailure => {
    const original = failure.original instanceof SwitchyardError ? failure.original : undefined;
    const details: FailureDetails = { reason: 'UPSTREAM_REJECTED_REQUEST' };
    const violations = original?.details.badRequest?.fieldViolations.map((v) => ({ field: v.field, description: v.description }));
    if (violations?.length) details.fieldViolations = violations;
    return new ServiceFailure(failure.code, `the model rejected the request: ${original?.message ?? failure.message}`, details);
  };

  async function* relayStream(request: router.StreamGenerateRequest, context: ServerCallContext, serverSpan: Span | undefined): AsyncGenerator<StreamEvent> {
    const started = performance.now();
    const p = decide(request, context, true);
    const deadlineAt = deadlineOf(context);
    const hold = await reserve(p, request, deadlineAt);
    const forward = p.traceparent;
    const traceparent = traceparentOf(p);
    let lastFailed: FailedAttempt | undefined;
    // The committed attempt's `chat {model}` span, open until the relay ends.
    let attemptSpan: Span | undefined;
    const attempts = p.decision.attempts as MessageInitShape<typeof common.RouteAttemptSchema>[];
    const failures: AttemptFailure[] = [];
    const skipped: string[] = [];
    let deadlinePassed = false;
    let committed: { candidate: RouteCandidate; controller: AbortController; iterator: AsyncIterator<provider.StreamGenerateResponse> } | undefined;
    let first: provider.StreamGenerateResponse | undefined;
    let accounted = false;
    let deliveredChars = 0;
    let firstDeltaAt: number | undefined;
    const summary = (code: number, extra: Partial<RoutedRequestSummary> = {}): RoutedRequestSummary => ({
      method: 'StreamGenerate',
      requestId: p.requestId,
      traceId: p.traceId,
      teamId: p.teamId,
      project: request.context?.project ?? '',
      rule: p.choice.rule,
      chosen: committed ? { ...committed.candidate.ref } : undefined,
      fallbacks: Math.max(0, attempts.length - 1),
      statusCode: statusCodeName(code),
      latencyMs: ms(started),
      timeToFirstTokenMs: firstDeltaAt === undefined ? undefined : firstDeltaAt - started,
      budgetChecked: hold.checked,
      classification: p.classification,
      ...extra,
    });
    const estimatedUsage = () =>
      create(common.TokenUsageSchema, { inputTokens: BigInt(p.reading.estimatedInputTokens), outputTokens: BigInt(Math.ceil(deliveredChars / 4)), estimated: true });

    try {
      // Phase 1: find a candidate that produces a first event; fall back freely until then.
      for (const score of p.choice.tryOrder) {
        const candidate = score.candidate;
        if (context.signal.aborted) throw new ServiceFailure(status.CANCELLED, 'the caller cancelled the request');
        const window = attemptWindow(deadlineAt);
        if (!window) {
          deadlinePassed = true;
          break;
        }
        const { firstByteMs, callerDeadline } = window;
        const { controller, signal } = streamAttemptAbort(context);
        const attemptStarted = performance.now();
        const fallbackFrom = lastFailed;
        let iterator: AsyncIterator<provider.StreamGenerateResponse> | undefined;
        let span: Span | undefined;
        try {
          first = await pool.attempt(candidate.ref.deployment, async () => {
            // Started inside the breaker: a deployment skipped for an open circuit was not called.
            const traced = startStreamAttemptSpan(
              attemptInfo({ request, requestId: p.requestId, candidate, endpoint: pool.endpoint(candidate.adapter), attempt: attempts.length + 1, fallbackFrom, stream: true }),
            );
            span = traced.span;
            let timedOut = false;
            const timer = setTimeout(() => {
              timedOut = true;
              controller.abort();
            }, firstByteMs);
            try {
              const stream = pool
                .client(candidate.adapter)
                .streamGenerate(
                  { model: candidate.ref.model, messages: request.messages, params: request.params, requestId: p.requestId, endUserId: request.context?.endUserId ?? '' },
                  { deadline: new Date(deadlineAt - timings.deadlineMarginMs), signal, metadata: forward ? { traceparent: forward } : undefined },
                );
              const opened = stream[Symbol.asyncIterator]();
              iterator = opened;
              // The call starts on the first pull: make it there, inside the attempt's span.
              const next = await otelContext.with(traced.context, () => opened.next());
              if (next.done) throw new AttemptFailure(status.UNAVAILABLE, `${candidate.key}@${candidate.ref.deployment}: stream ended before any event`, true, undefined);
              if (traced.span.isRecording()) setTimeToFirstChunk(traced.span, ms(attemptStarted) / 1000);
              return next.value;
            } catch (error) {
              throw attemptFailure(error, candidate, callerDeadline, timedOut);
            } finally {
              clearTimeout(timer);
            }
          });
        } catch (error) {
          const elapsed = ms(attemptStarted);
          controller.abort();
          if (error instanceof CircuitOpenError) {
            skipped.push(`${candidate.key}@${candidate.ref.deployment}: ${error.message}`);
            continue;
          }
          const failure = attemptFailure(error, candidate, callerDeadline, false);
          if (span) {
            recordSpanError(span, failure);
            span.end();
          }
          attempts.push(attemptRecord(p, attempts, candidate, failure.code, failure.message, elapsed, fallbackFrom));
          if (context.signal.aborted) throw new ServiceFailure(status.CANCELLED, 'the caller cancelled the request');
          if (FALLBACK_STOPPERS.has(failure.code)) throw upstreamRejection(failure);
          failures.push(failure);
          lastFailed = { candidate, code: failure.code };
          if (failure.code === status.DEADLINE_EXCEEDED && callerDeadline) {
            deadlinePassed = true;
            break;
          }
          continue;
        }
        const elapsed = ms(attemptStarted);
        latency.record(latencyKey(candidate.ref), elapsed);
        attempts.push(attemptRecord(p, attempts, candidate, status.OK, '', elapsed, fallbackFrom));
        p.decision.chosen = { ...candidate.ref };
        p.decision.fallbacks = attempts.length - 1;
        committed = { candidate, controller, iterator: iterator! };
        attemptSpan = span;
        break;
      }
      if (!committed) throw exhaustedFailure(failures, skipped, deadlinePassed);
    } catch (error) {
      release(hold);
      finish(summary(error instanceof ServiceFailure ? error.code : status.INTERNAL));
      throw error;
    }

    // Phase 2: relay. After the first event there is no silent fallback.
    const { candidate, controller, iterator } = committed;
    // Announced as response headers with the first event, so an HTTP front door can send them before the body.
    announceRoute(context, candidate.ref, p);
    // Only a sampled stream keeps its reply text, for the evaluator.
    const sample = sampler?.shouldSample(p.teamPolicy.onlineSampleRate) ? { text: '', toolCalls: new Map<number, { id: string; name: string; argumentsJson: string }>() } : undefined;
    try {
      let event: provider.StreamGenerateResponse | undefined = first;
      while (event) {
        if (event.event.case === 'delta') {
          const delta = event.event.value;
          deliveredChars += delta.text.length + (delta.toolCall?.argumentsJsonDelta.length ?? 0);
          firstDeltaAt ??= performance.now();
          if (sample) {
            sample.text += delta.text;
            if (delta.toolCall) {
              const call = sample.toolCalls.get(delta.toolCall.index) ?? { id: '', name: '', argumentsJson: '' };
              call.id ||= delta.toolCall.id;
              call.name ||= delta.toolCall.name;
              call.argumentsJson += delta.toolCall.argumentsJsonDelta;
              sample.toolCalls.set(delta.toolCall.index, call);
            }
          }
          yield {
            event: {
              case: 'delta',
              value: {
                text: delta.text,
                ...(delta.toolCall
                  ? { toolCall: { id: delta.toolCall.id, name: delta.toolCall.name, argumentsJson: delta.toolCall.argumentsJsonDelta }, toolCallIndex: delta.toolCall.index }
                  : {}),
              },
            },
          };
        } else if (event.event.case === 'final') {
          const final = event.event.value;
          const usage = markedEstimated(final.usage, final.usageEstimated);
          const at = new Date();
          const cost = priceUsage(candidate, usage, p.teamPolicy, at);
          if (attemptSpan?.isRecording()) setGenAiResponseAttributes(attemptSpan, attemptResponseInfo({ ...final, usage }), cost);
          if (serverSpan?.isRecording()) setCostAttributes(serverSpan, cost);
          accounted = true;
          await account(usageRecord(p, request, candidate, usage, hold, at, ms(started), billing.UsageOutcome.SUCCESS), traceparent);
          finish(summary(status.OK, { usage, costNanos: cost.nanosUsd }));
          if (sample && sampler) {
            sampler.submit({
              requestId: p.requestId,
              teamId: p.teamId,
              model: { ...candidate.ref },
              classification: classificationInit(p.classification),
              messages: request.messages,
              reply: { role: common.Role.ASSISTANT, parts: sample.text ? [{ kind: { case: 'text', value: sample.text } }] : [], toolCalls: [...sample.toolCalls.values()] },
            });
          }
          yield {
            event: {
              case: 'final',
              value: {
                finishReason: final.finishReason,
                stopSequence: final.stopSequence,
                usage,
                cost,
                route: p.decision,
                responseModel: final.responseModel,
                requestId: p.requestId,
                traceId: p.traceId,
                timeToFirstToken: durationFromMs((firstDeltaAt ?? performance.now()) - started),
              },
            },
          };
          return;
        }
        const next = await iterator.next();
        event = next.done ? undefined : next.value;
      }
      throw new AttemptFailure(status.UNAVAILABLE, `${candidate.key}@${candidate.ref.deployment}: stream ended without a final message`, true, undefined);
    } catch (error) {
      if (accounted) throw error;
      // The stream broke after it started: bill what was consumed, tell the caller, never fall back.
      accounted = true;
      const original = error instanceof AttemptFailure ? error.original : error;
      const partial = original instanceof SwitchyardError ? original.details.partialUsage : undefined;
      const usage = markedEstimated(partial?.usage, partial?.estimated ?? false) ?? estimatedUsage();
      const cancelled = context.signal.aborted;
      const code = cancelled ? status.CANCELLED : status.UNAVAILABLE;
      const at = new Date();
      const cost = priceUsage(candidate, usage, p.teamPolicy, at);
      if (attemptSpan) {
        if (attemptSpan.isRecording()) setGenAiResponseAttributes(attemptSpan, { usage }, cost);
        recordSpanError(attemptSpan, attemptFailure(error, candidate, false, false));
      }
      if (serverSpan?.isRecording()) setCostAttributes(serverSpan, cost);
      await account(usageRecord(p, request, candidate, usage, hold, at, ms(started), cancelled ? billing.UsageOutcome.CANCELLED : billing.UsageOutcome.PARTIAL), traceparent).catch(() => undefined);
      finish(summary(code, { usage, costNanos: cost.nanosUsd }));
      if (cancelled) throw new ServiceFailure(status.CANCELLED, 'the caller cancelled the stream');
      throw unavailable(`the stream from ${candidate.key} broke after it started; no fallback after the first token: ${(error as Error).message}`, 'STREAM_BROKEN', {
        partialUsage: { usage, estimated: usage.estimated, deliveredCharacters: BigInt(deliveredChars) },
      });
    } finally {
      controller.abort();
      void iterator.return?.(undefined)?.catch(() => undefined);
      if (!accounted) {
        // The caller went away mid-stream (the harness stopped iterating): bill what was consumed.
        const usage = estimatedUsage();
        const at = new Date();
        const cost = priceUsage(candidate, usage, p.teamPolicy, at);
        if (attemptSpan) {
          if (attemptSpan.isRecording()) setGenAiResponseAttributes(attemptSpan, { usage }, cost);
          recordSpanError(attemptSpan, new ServiceFailure(status.CANCELLED, 'the caller stopped reading the stream'));
        }
        if (serverSpan?.isRecording()) setCostAttributes(serverSpan, cost);
        await account(usageRecord(p, request, candidate, usage, hold, at, ms(started), billing.UsageOutcome.CANCELLED), traceparent).catch(() => undefined);
        finish(summary(status.CANCELLED, { usage, costNanos: cost.nanosUsd }));
      }
      attemptSpan?.end();
      budget.finish(hold);
    }
  }

  /**
   * AIP-155: admits a request with a caller-chosen id once per (team, id, content); undefined when it
   * has no id or deduplication is off. Throws ALREADY_EXISTS for an id taken by a different request.
   */
  const admit = (request: router.GenerateRequest | router.StreamGenerateRequest, context: ServerCallContext, kind: ServedRequestKind) => {
    const requestId = request.context?.requestId;
    if (!requestId || !servedRequests) return undefined;
    const { teamId } = teamOf(context);
    const admission = servedRequests.admit(teamId, requestId, kind, requestFingerprint(kind, request));
    if (admission.kind !== 'serve') logger?.info({ request_id: requestId, team: teamId, answer: admission.kind }, 'retried request id answered without serving it again');
    return admission;
  };

  /** A duplicate of a Generate in flight: the original's outcome, unless this caller goes away first. */
  const joined = async (outcome: Promise<GenerateAnswer>, context: ServerCallContext): Promise<GenerateAnswer> => {
    let onAbort: (() => void) | undefined;
    const cancelled = new Promise<never>((_, reject) => {
      onAbort = () => reject(new ServiceFailure(status.CANCELLED, 'the caller cancelled the request'));
      if (context.signal.aborted) onAbort();
      else context.signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([outcome, cancelled]);
    } catch (error) {
      // The original's caller gave up (cancel or its own deadline): nothing was served or billed, so retrying is safe.
      if (error instanceof ServiceFailure && (error.code === status.CANCELLED || error.code === status.DEADLINE_EXCEEDED) && !context.signal.aborted) {
        throw unavailable('the first request with this request id ended before it was served (its caller went away); retry', 'DUPLICATE_REQUEST_ABANDONED', { retryDelayMs: 0 });
      }
      throw error;
    } finally {
      if (onAbort) context.signal.removeEventListener('abort', onAbort);
    }
  };

  /** A stream with a caller-chosen request id: admitted once; served once its final event is out (its usage is durable by then). */
  async function* streamOnce(request: router.StreamGenerateRequest, context: ServerCallContext, serverSpan: Span | undefined): AsyncGenerator<StreamEvent> {
    const admission = admit(request, context, 'StreamGenerate');
    if (!admission) return yield* relayStream(request, context, serverSpan);
    // A stream is never replayed or joined: admit() refuses those with ALREADY_EXISTS.
    const ticket = (admission as { ticket: ServingTicket<GenerateAnswer> }).ticket;
    let served = false;
    try {
      for await (const event of relayStream(request, context, serverSpan)) {
        if (event.event?.case === 'final') served = true;
        yield event;
      }
    } finally {
      // Nothing joins a stream, so a failure needs no error: it only frees the id for a retry.
      if (served) ticket.served();
      else ticket.failed(undefined);
    }
  }

  /** Serves one Generate: route, hold budget, call with fallback, account durably, answer. */
  const serveGenerate = async (request: router.GenerateRequest, context: ServerCallContext, serverSpan: Span | undefined): Promise<GenerateAnswer> => {
    const started = performance.now();
    const p = decide(request, context, false);
    const deadlineAt = deadlineOf(context);
    const hold = await reserve(p, request, deadlineAt);
    const forward = p.traceparent;
    const attempts = p.decision.attempts as MessageInitShape<typeof common.RouteAttemptSchema>[];
    const failures: AttemptFailure[] = [];
    const skipped: string[] = [];
    let deadlinePassed = false;
    let lastFailed: FailedAttempt | undefined;
    const summary = (code: number, extra: Partial<RoutedRequestSummary> = {}): RoutedRequestSummary => ({
      method: 'Generate',
      requestId: p.requestId,
      traceId: p.traceId,
      teamId: p.teamId,
      project: request.context?.project ?? '',
      rule: p.choice.rule,
      fallbacks: Math.max(0, attempts.length - 1),
      statusCode: statusCodeName(code),
      latencyMs: ms(started),
      budgetChecked: hold.checked,
      classification: p.classification,
      ...extra,
    });

    try {
      for (const score of p.choice.tryOrder) {
        const candidate = score.candidate;
        if (context.signal.aborted) throw new ServiceFailure(status.CANCELLED, 'the caller cancelled the request');
        const window = attemptWindow(deadlineAt);
        if (!window) {
          deadlinePassed = true;
          break;
        }
        const { firstByteMs: budgetMs, callerDeadline } = window;
        const attemptStarted = performance.now();
        const fallbackFrom = lastFailed;
        let answer: { response: provider.GenerateResponse; cost: common.Cost; at: Date };
        try {
          // The span starts inside the breaker: a deployment skipped for an open circuit was not called.
          answer = await pool.attempt(candidate.ref.deployment, () =>
            withGenAiSpan(
              attemptInfo({ request, requestId: p.requestId, candidate, endpoint: pool.endpoint(candidate.adapter), attempt: attempts.length + 1, fallbackFrom, stream: false }),
              async (span) => {
                let response: provider.GenerateResponse;
                try {
                  response = await pool.client(candidate.adapter).generate(
                    { model: candidate.ref.model, messages: request.messages, params: request.params, requestId: p.requestId, endUserId: request.context?.endUserId ?? '' },
                    { deadline: new Date(Date.now() + budgetMs), signal: context.signal, metadata: forward ? { traceparent: forward } : undefined },
                  );
                } catch (error) {
                  throw attemptFailure(error, candidate, callerDeadline, false);
                }
                const at = new Date();
                const cost = priceUsage(candidate, response.usage, p.teamPolicy, at);
                if (span.isRecording()) setGenAiResponseAttributes(span, attemptResponseInfo(response), cost);
                return { response, cost, at };
              },
            ),
          );
        } catch (error) {
          const elapsed = ms(attemptStarted);
          if (error instanceof CircuitOpenError) {
            skipped.push(`${candidate.key}@${candidate.ref.deployment}: ${error.message}`);
            continue;
          }
          const failure = attemptFailure(error, candidate, callerDeadline, false);
          attempts.push(attemptRecord(p, attempts, candidate, failure.code, failure.message, elapsed, fallbackFrom));
          if (context.signal.aborted) throw new ServiceFailure(status.CANCELLED, 'the caller cancelled the request');
          if (FALLBACK_STOPPERS.has(failure.code)) throw upstreamRejection(failure);
          failures.push(failure);
          lastFailed = { candidate, code: failure.code };
          if (failure.code === status.DEADLINE_EXCEEDED && callerDeadline) {
            deadlinePassed = true;
            break;
          }
          logger?.info({ request_id: p.requestId, code: statusCodeName(failure.code), deployment: candidate.ref.deployment }, 'attempt failed; falling back');
          continue;
        }

        // Success: account durably, then answer.
        const { response, cost, at } = answer;
        const elapsed = ms(attemptStarted);
        latency.record(latencyKey(candidate.ref), elapsed);
        attempts.push(attemptRecord(p, attempts, candidate, status.OK, '', elapsed, fallbackFrom));
        p.decision.chosen = { ...candidate.ref };
        p.decision.fallbacks = attempts.length - 1;
        if (serverSpan?.isRecording()) setCostAttributes(serverSpan, cost);
        await account(usageRecord(p, request, candidate, response.usage, hold, at, ms(started), billing.UsageOutcome.SUCCESS), traceparentOf(p));
        finish(summary(status.OK, { chosen: { ...candidate.ref }, usage: response.usage, costNanos: cost.nanosUsd }));
        if (sampler?.shouldSample(p.teamPolicy.onlineSampleRate)) {
          sampler.submit({ requestId: p.requestId, teamId: p.teamId, model: { ...candidate.ref }, classification: classificationInit(p.classification), messages: request.messages, reply: response.message });
        }
        return {
          message: response.message,
          finishReason: response.finishReason,
          stopSequence: response.stopSequence,
          usage: response.usage,
          cost,
          route: p.decision,
          responseModel: response.responseModel,
          requestId: p.requestId,
          traceId: p.traceId,
        };
      }
      throw exhaustedFailure(failures, skipped, deadlinePassed);
    } catch (error) {
      // Nothing was consumed (or it could not be accounted for): give the hold back.
      release(hold);
      const code = error instanceof ServiceFailure ? error.code : status.INTERNAL;
      finish(summary(code));
      throw error;
    } finally {
      // The usage row, if any, is durable by now: a lease may be returned once billing has it.
      budget.finish(hold);
    }
  };

  return {
    async generate(request, context) {
      // The gRPC instrumentation's server span: it gets the attribution now and the cost at the end.
      const serverSpan = trace.getActiveSpan();
      return withTrustedBaggage(attributionOf(context, request), async () => {
        const admission = admit(request, context, 'Generate');
        if (!admission) return serveGenerate(request, context, serverSpan);
        if (admission.kind === 'replay') return admission.response;
        if (admission.kind === 'join') return joined(admission.outcome, context);
        try {
          const response = await serveGenerate(request, context, serverSpan);
          admission.ticket.served(response);
          return response;
        } catch (error) {
          admission.ticket.failed(error);
          throw error;
        }
      });
    },

    streamGenerate(request, context) {
      const serverSpan = trace.getActiveSpan();
      // Without a caller-chosen request id there is nothing to deduplicate: no wrapper on the hot path.
      const relay = request.context?.requestId && servedRequests ? streamOnce : relayStream;
      return withTrustedBaggageStream(attributionOf(context, request), () => relay(request, context, serverSpan));
    },

    async explainRoute(request, context) {
      const p = withTrustedBaggage(attributionOf(context, request), () => decide(request, context, request.streaming));
      return { route: p.decision, estimatedMaxCostNanosUsd: p.choice.estimatedMaxCostNanos, estimatedInputTokens: BigInt(p.reading.estimatedInputTokens) };
    },

    async listModels(request, context) {
      const { teamPolicy } = teamOf(context);
      if (request.pageSize < 0) throw invalidArgument('page_size', 'must not be negative');
      const size = Math.min(request.pageSize === 0 ? 100 : request.pageSize, 1000);
      const now = new Date();
      const statuses = new Map(catalog.adapters().map((s) => [s.name, s]));
      const models: MessageInitShape<typeof router.RoutableModelSchema>[] = [];
      for (const entry of catalog.entries()) {
        if (!anyModelMatches(teamPolicy.models, entry.key)) continue;
        const adapterStatus = statuses.get(entry.adapter);
        const circuit = pool.circuit(entry.ref.deployment);
        const price = prices.priceAt(entry.ref, now) ?? entry.adapterPrice;
        const p90 = latency.p90(latencyKey(entry.ref));
        const reason = !adapterStatus?.up ? (adapterStatus?.error ?? 'adapter not answering') : circuit === 'open' ? 'circuit open' : '';
        models.push({
          info: {
            ref: entry.info.ref,
            displayName: entry.info.displayName,
            capabilities: entry.info.capabilities,
            selfHosted: entry.info.selfHosted || (price?.selfHosted ?? false),
            price: price
              ? {
                  version: price.version,
                  inputNanosUsdPerMtok: price.inputNanosPerMtok,
                  outputNanosUsdPerMtok: price.outputNanosPerMtok,
                  cachedInputNanosUsdPerMtok: price.cachedInputNanosPerMtok,
                  cacheWriteInputNanosUsdPerMtok: price.cacheWriteInputNanosPerMtok,
                  capacityNanosUsdPerHour: price.capacityNanosPerHour,
                  source: price.source,
                }
              : entry.info.price,
          },
          available: reason === '',
          unavailableReason: reason,
          qualityByTaskClass: quality.byTaskClass(entry.key),
          ...(p90 !== undefined ? { observedP90Latency: durationFromMs(p90) } : {}),
        });
      }
      // An adapter that never answered has no models to list: show it as one unavailable entry, not as nothing.
      for (const adapterStatus of statuses.values()) {
        if (adapterStatus.up || catalog.entries().some((e) => e.adapter === adapterStatus.name)) continue;
        models.push({
          info: { ref: { provider: '', model: '', deployment: adapterStatus.name }, displayName: `adapter ${adapterStatus.name} (no models known)` },
          available: false,
          unavailableReason: adapterStatus.error ?? 'adapter not answering',
        });
      }
      const offset = decodePageToken(request.pageToken, models.length);
      const page = models.slice(offset, offset + size);
      const next = offset + page.length;
      return {
        models: page,
        nextPageToken: next < models.length ? Buffer.from(`router-models:${next}`).toString('base64url') : '',
        aliases: [AUTO_ALIAS, ...Object.keys(teamPolicy.aliases).filter((a) => a !== AUTO_ALIAS)],
      };
    },
  };
}

function decodePageToken(token: string, total: number): number {
  if (!token) return 0;
  const match = /^router-models:(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
  const offset = match ? Number(match[1]) : NaN;
  if (!Number.isSafeInteger(offset) || offset > total) throw invalidArgument('page_token', 'is not a token from a previous ListModels call');
  return offset;
}

/**
 * Sets a committed stream's route, rule, trace id and request id as `x-switchyard-*` response headers
 * (sent with its first event): a stream's last event carries them too, but callers such as the HTTP
 * edge must send their own headers before the body.
 */
function announceRoute(context: ServerCallContext, chosen: { provider: string; model: string }, p: { decision: { rule?: string }; traceId: string; requestId: string }): void {
  context.setHeader('x-switchyard-route', `${chosen.provider}/${chosen.model}`);
  if (p.decision.rule) context.setHeader('x-switchyard-route-rule', p.decision.rule);
  context.setHeader('x-switchyard-trace-id', p.traceId);
  context.setHeader('x-switchyard-request-id', p.requestId);
}
