import type { MessageInitShape } from '@bufbuild/protobuf';
import type { PromptClassification } from '@switchyard/classifier';
import { common } from '@switchyard/contracts';
import type { CandidateScore, RouteChoice } from './choose-route';

/** A RouteDecision message being built (attempts are appended as they happen). */
export type RouteDecisionInit = MessageInitShape<typeof common.RouteDecisionSchema>;
/** One RouteAttempt. */
export type RouteAttemptInit = MessageInitShape<typeof common.RouteAttemptSchema>;

const TASK_CLASS_ENUM: Record<string, common.TaskClass> = {
  code: common.TaskClass.CODE,
  math: common.TaskClass.MATH,
  extraction: common.TaskClass.EXTRACTION,
  reasoning: common.TaskClass.REASONING,
  chat: common.TaskClass.CHAT,
  creative: common.TaskClass.CREATIVE,
  summarization: common.TaskClass.SUMMARIZATION,
  translation: common.TaskClass.TRANSLATION,
  other: common.TaskClass.OTHER,
};

/** A protobuf Duration init from milliseconds. */
export function durationFromMs(ms: number): { seconds: bigint; nanos: number } {
  const whole = Math.max(0, ms);
  const seconds = Math.floor(whole / 1000);
  return { seconds: BigInt(seconds), nanos: Math.round((whole - seconds * 1000) * 1e6) };
}

/** The classifier's reading as a Classification message. */
export function classificationInit(c: PromptClassification): MessageInitShape<typeof common.ClassificationSchema> {
  return {
    taskClass: TASK_CLASS_ENUM[c.taskClass] ?? common.TaskClass.OTHER,
    difficulty: c.difficulty,
    safetySensitive: c.safetySensitive,
    safetyScore: c.safetyScore,
    expectedOutputTokens: BigInt(Math.round(c.expectedOutputTokens)),
    classifierVersion: c.classifierVersion,
  };
}

function candidateInit(score: CandidateScore): MessageInitShape<typeof common.CandidateEvaluationSchema> {
  const p90 = score.candidate.p90LatencyMs;
  return {
    model: { ...score.candidate.ref },
    eligible: score.eligible,
    exclusionReason: score.exclusionReason,
    expectedQuality: Math.round(score.expectedQuality * 10_000) / 10_000,
    expectedCostNanosUsd: score.expectedCostNanos,
    ...(p90 !== undefined ? { expectedLatency: durationFromMs(p90) } : {}),
    qualitySource: score.qualitySource,
  };
}

/** The RouteDecision of a choice, without attempts (ExplainRoute's answer, and Generate's starting point). */
export function routeDecisionInit(choice: RouteChoice, classification: PromptClassification): RouteDecisionInit {
  return {
    chosen: { ...choice.tryOrder[0]!.candidate.ref },
    rule: choice.rule,
    reason: choice.reason,
    candidates: choice.evaluated.map(candidateInit),
    classification: classificationInit(classification),
    attempts: [],
    fallbacks: 0,
    policy: choice.policyLabel,
  };
}
