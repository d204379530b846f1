import type { MessageInitShape } from '@bufbuild/protobuf';
import type { evaluator } from '@switchyard/contracts';
import type { EvaluatorServiceClient } from '@switchyard/sdk';
import type { Logger } from 'pino';

/** One live exchange for the evaluator's online scoring. */
export type SampledExchange = MessageInitShape<typeof evaluator.SubmitExchangeRequestSchema>;

/** Samples live exchanges for online quality scoring; never delays or fails a request. */
export interface OnlineSampler {
  /** The coin flip for one request at a team's rate (decided before streaming, so only sampled streams keep their text). */
  shouldSample(rate: number): boolean;
  /** Sends an exchange without waiting; dropped when too many submissions are in flight. */
  submit(exchange: SampledExchange): void;
  /** Submissions sent, dropped and failed so far. */
  stats(): { sent: number; dropped: number; failed: number };
}

/** Options for createOnlineSampler. */
export interface OnlineSamplerOptions {
  client: Pick<EvaluatorServiceClient, 'submitExchange'>;
  /** Submissions in flight before new ones are dropped (the router never queues them); default 64. */
  maxInFlight?: number;
  random?: () => number;
  logger?: Logger;
}

/**
 * Creates the sampler the evaluator's online scoring expects (docs/evaluator.md): a coin flip per
 * exchange, a SubmitExchange nobody waits for. Exchanges carry prompt and reply text, so the router
 * samples only teams whose policy sets `onlineSampleRate` (their consent to content capture).
 */
export function createOnlineSampler(options: OnlineSamplerOptions): OnlineSampler {
  const random = options.random ?? Math.random;
  const maxInFlight = options.maxInFlight ?? 64;
  let inFlight = 0;
  const counters = { sent: 0, dropped: 0, failed: 0 };
  return {
    shouldSample: (rate) => rate > 0 && random() < rate,
    submit(exchange) {
      if (inFlight >= maxInFlight) {
        counters.dropped++;
        return;
      }
      inFlight++;
      counters.sent++;
      options.client
        .submitExchange(exchange, { timeoutMs: 2000 })
        .catch((error: unknown) => {
          counters.failed++;
          options.logger?.debug({ err: (error as Error).message, request_id: exchange.requestId }, 'online sample not delivered');
        })
        .finally(() => inFlight--);
    },
    stats: () => ({ ...counters }),
  };
}
