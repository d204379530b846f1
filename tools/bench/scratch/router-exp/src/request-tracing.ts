/**
 * What the router puts on its spans (see docs/observability.md, "The trace of one request"): the
 * attribution baggage from the authenticated key, the route.decide attributes, and the request side
 * of each attempt's `chat {model}` span. No prompt or completion text, ever. Attribute sets are
 * built only for spans that record, so an unsampled request pays for none of them.
 */
import { context as otelContext, SpanKind, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';
import { status } from '@grpc/grpc-js';
import type { PromptClassification } from '@switchyard/classifier';
import type { common } from '@switchyard/contracts';
import { ServiceFailure } from '@switchyard/grpc-kit';
import type { ServerCallContext } from '@switchyard/sdk';
import {
  genAiRequestAttributes,
  genAiSpanName,
  routeDecisionAttributes,
  switchyardTracer,
  type Attribution,
  type GenAiRequestInfo,
  type GenAiResponseInfo,
} from '@switchyard/telemetry';
import type { AdapterEndpoint } from './adapter-pool';
import type { RouteCandidate, RouteChoice } from './policy/choose-route';
import type { RoutedRequest } from './request-validation';

/** Attributes for spans whose attributes are set once their work is done. */
export const NO_ATTRIBUTES: Attributes = Object.freeze({});

/**
 * Who the request is charged to: the team of the authenticated key (never the body or incoming
 * baggage), and the caller's project and feature tags.
 */
export function attributionOf(context: ServerCallContext, request: Pick<RoutedRequest, 'context'>): Attribution {
  const team = context.principal?.teamId;
  if (!team) throw new ServiceFailure(status.UNAUTHENTICATED, 'no team: call with an API key', { reason: 'API_KEY_MISSING' });
  return { team, project: request.context?.project, featureTags: request.context?.featureTags };
}

/** route.decide's attributes: every candidate considered (`provider/model`), the choice, the rule, the classifier's scores. */
export function decisionAttributes(choice: RouteChoice, classification: PromptClassification): Attributes {
  return routeDecisionAttributes({
    candidates: choice.evaluated.map((score) => score.candidate.key),
    chosen: choice.tryOrder[0]?.candidate.key ?? '',
    rule: choice.rule,
    classification: {
      taskClass: `TASK_CLASS_${classification.taskClass.toUpperCase()}`,
      difficulty: classification.difficulty,
      safetyScore: classification.safetyScore,
      expectedOutputTokens: Math.round(classification.expectedOutputTokens),
    },
  });
}

/** The failed attempt a fallback comes from. */
export interface FailedAttempt {
  candidate: RouteCandidate;
  /** gRPC status code of the failure. */
  code: number;
}

/** One attempt at one candidate, as its span describes it. */
export interface AttemptDescription {
  request: RoutedRequest;
  requestId: string;
  candidate: RouteCandidate;
  /** The adapter called. */
  endpoint: AdapterEndpoint;
  /** 1 for the first attempt. */
  attempt: number;
  /** The failed attempt before this one, for a fallback. */
  fallbackFrom?: FailedAttempt;
  stream: boolean;
}

/** The request side of one attempt's `chat {model}` span. */
export function attemptInfo({ request, requestId, candidate, endpoint, attempt, fallbackFrom, stream }: AttemptDescription): GenAiRequestInfo {
  return {
    provider: candidate.ref.provider,
    model: candidate.ref.model,
    maxTokens: request.params?.maxOutputTokens,
    temperature: request.params?.temperature,
    topP: request.params?.topP,
    stream: stream || undefined,
    serverAddress: endpoint.host,
    serverPort: endpoint.port,
    requestId,
    attempt,
    fallbackFrom: fallbackFrom?.candidate.key,
  };
}

/** The response side of an attempt's span, from the adapter's answer (unary reply or stream final). */
export function attemptResponseInfo(answer: {
  responseModel: string;
  responseId: string;
  providerFinishReason: string;
  usage?: common.TokenUsage;
}): GenAiResponseInfo {
  return {
    responseModel: answer.responseModel,
    responseId: answer.responseId,
    finishReasons: answer.providerFinishReason ? [answer.providerFinishReason] : undefined,
    usage: answer.usage,
  };
}

/**
 * Starts a streamed attempt's `chat {model}` span, which stays open until the relay ends (the
 * first event decides whether to fall back, so the span cannot wrap one function call). Start the
 * adapter call inside `context` so its gRPC client span is the attempt's child.
 */
export function startStreamAttemptSpan(info: GenAiRequestInfo): { span: Span; context: Context } {
  const parent = otelContext.active();
  const span = switchyardTracer().startSpan(genAiSpanName(info), { kind: SpanKind.CLIENT, attributes: genAiRequestAttributes(info) }, parent);
  return { span, context: trace.setSpan(parent, span) };
}
