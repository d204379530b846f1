// Test support: usage records as the router sends them.
import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { billing } from '@switchyard/contracts';

/** What a test varies in a usage record. */
export interface UsageRecordInput {
  requestId: string;
  time: string | Date;
  teamId: string;
  project?: string;
  provider?: string;
  model?: string;
  deployment?: string;
  inputTokens?: bigint;
  outputTokens?: bigint;
  cachedInputTokens?: bigint;
  reasoningTokens?: bigint;
  cacheWriteInputTokens?: bigint;
  usageEstimated?: boolean;
  baselineModel?: string;
  reservationId?: string;
  featureTags?: string[];
  latencyMs?: number;
  outcome?: billing.UsageOutcome;
}

/** A UsageRecord message (defaults: openai/gpt-4o-mini, SUCCESS, 120 ms). */
export function usageRecord(input: UsageRecordInput): billing.UsageRecord {
  const latencyMs = input.latencyMs ?? 120;
  return create(billing.UsageRecordSchema, {
    requestId: input.requestId,
    time: timestampFromDate(new Date(input.time)),
    teamId: input.teamId,
    project: input.project ?? '',
    featureTags: input.featureTags ?? [],
    model: { provider: input.provider ?? 'openai', model: input.model ?? 'gpt-4o-mini', deployment: input.deployment ?? '' },
    usage: {
      inputTokens: input.inputTokens ?? 1000n,
      outputTokens: input.outputTokens ?? 100n,
      cachedInputTokens: input.cachedInputTokens ?? 0n,
      reasoningTokens: input.reasoningTokens ?? 0n,
      cacheWriteInputTokens: input.cacheWriteInputTokens ?? 0n,
      estimated: input.usageEstimated ?? false,
    },
    baselineModel: input.baselineModel ?? '',
    latency: { seconds: BigInt(Math.floor(latencyMs / 1000)), nanos: (latencyMs % 1000) * 1_000_000 },
    outcome: input.outcome ?? billing.UsageOutcome.SUCCESS,
    reservationId: input.reservationId ?? '',
  });
}
