import type { Logger } from 'pino';
import type { Database } from '@switchyard/database';
import type { ChatTurn, ModelCaller } from './model-caller';
import type { QualityStore } from './quality-store';
import type { Judge } from './scorers/llm-judge';
import { lastNumber } from './scorers/numeric-answer';
import { tokenF1 } from './scorers/text-normalization';

/** One sampled live exchange, held in memory only until it is scored. */
export interface OnlineExchange {
  requestId: string;
  teamId: string;
  /** Canonical model key. */
  model: string;
  taskClass: string;
  messages: ChatTurn[];
  reply: string;
}

/** What happened to a submission. */
export type SubmitOutcome = 'queued' | 'duplicate' | 'dropped' | 'not_allowed';

/** Counters since start. */
export interface OnlineScoringStats {
  queued: number;
  duplicates: number;
  /** Refused because the queue was full. */
  dropped: number;
  /** Refused because the team may not have content captured (or is the evaluation team itself). */
  notAllowed: number;
  scored: number;
  errors: number;
  /** Waiting or being scored now. */
  pending: number;
}

/** How online exchanges are scored. */
export type OnlineMethod = { kind: 'judge'; judge: Judge; rubric?: string } | { kind: 'shadow'; caller: ModelCaller; referenceModel: string; timeoutMs: number };

/** Options for createOnlineScoring. */
export interface OnlineScoringOptions {
  database: Database;
  quality: QualityStore;
  method: OnlineMethod;
  /** Exchanges held at most; beyond it a submission is dropped and counted. */
  queueCapacity: number;
  /** Exchanges scored concurrently. */
  workers: number;
  /** Online quality covers exchanges scored within this window, ms. */
  windowMs: number;
  /** Teams whose exchanges may be scored: ['*'] for all (the router enforces each team's capture policy first). */
  allowTeams: readonly string[];
  /** The evaluation team: its own calls (judge, shadow, runs) are never scored online. */
  evaluationTeam: string;
  logger: Logger;
  now?: () => Date;
}

/** Online scoring: SubmitExchange enqueues, workers score in the background and fold into quality scores. */
export interface OnlineScoring {
  /** Never waits for scoring: queues (or refuses) and returns at once. */
  submit(exchange: OnlineExchange): SubmitOutcome;
  stats(): OnlineScoringStats;
  /** Resolves when nothing is queued or being scored (tests, shutdown). */
  idle(): Promise<void>;
  /** Stops taking work; exchanges still queued are dropped (sampling is best effort). */
  stop(): Promise<void>;
}

const RECENT_IDS = 100_000;

/**
 * Compares a live reply with a reference model's reply to the same conversation: for math, their
 * final numbers (1 when equal); otherwise word-overlap F1 of the two replies, a cheap agreement proxy.
 */
export function compareWithShadow(reply: string, shadow: string, taskClass: string): { score: number; explanation: string } {
  const mine = lastNumber(reply);
  const theirs = lastNumber(shadow);
  if (taskClass === 'math' && mine.value !== undefined && theirs.value !== undefined) {
    const same = Math.abs(mine.value - theirs.value) <= 1e-6 * Math.max(1, Math.abs(theirs.value));
    return { score: same ? 1 : 0, explanation: `final answer ${mine.text} ${same ? '=' : '≠'} reference ${theirs.text}` };
  }
  const f1 = tokenF1(reply, shadow);
  return { score: f1, explanation: `word F1 ${f1.toFixed(2)} against the reference reply` };
}

/** Creates online scoring. */
export function createOnlineScoring(options: OnlineScoringOptions): OnlineScoring {
  const now = options.now ?? (() => new Date());
  const queue: OnlineExchange[] = [];
  const recent = new Set<string>();
  const stats = { queued: 0, duplicates: 0, dropped: 0, notAllowed: 0, scored: 0, errors: 0 };
  const idleWaiters: Array<() => void> = [];
  const allowAll = options.allowTeams.includes('*');
  const allowed = new Set(options.allowTeams);
  const method = options.method;
  let busy = 0;
  let stopped = false;
  const log = options.logger.child({ component: 'online-scoring' });

  const remember = (requestId: string) => {
    recent.add(requestId);
    if (recent.size > RECENT_IDS) recent.delete(recent.values().next().value!);
  };
  const checkIdle = () => {
    if (queue.length === 0 && busy === 0) for (const resolve of idleWaiters.splice(0)) resolve();
  };

  async function scoreOne(exchange: OnlineExchange): Promise<{ score: number; explanation: string; costNanos: bigint }> {
    if (method.kind === 'judge') {
      const verdict = await method.judge.grade({
        conversation: exchange.messages,
        answer: exchange.reply,
        rubric: method.rubric,
        requestId: `eval-online-judge-${exchange.requestId}`,
      });
      return { score: (verdict.score - 1) / 9, explanation: `judge ${verdict.model} (${verdict.rubric}): ${verdict.score}/10 — ${verdict.reason}`, costNanos: verdict.costNanos };
    }
    const shadow = await method.caller.generate({
      model: method.referenceModel,
      messages: exchange.messages,
      requestId: `eval-online-shadow-${exchange.requestId}`,
      timeoutMs: method.timeoutMs,
      purpose: 'shadow',
    });
    const compared = compareWithShadow(exchange.reply, shadow.text, exchange.taskClass);
    return { ...compared, explanation: `shadow ${method.referenceModel}: ${compared.explanation}`, costNanos: shadow.costNanos };
  }

  async function process(exchange: OnlineExchange): Promise<void> {
    const { rowCount } = await options.database.query(
      `INSERT INTO online_exchanges (request_id, team_id, model, task_class, method, received_at)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (request_id) DO NOTHING`,
      [exchange.requestId, exchange.teamId, exchange.model, exchange.taskClass, method.kind, now()],
    );
    if (rowCount === 0) {
      stats.duplicates++;
      return;
    }
    try {
      const result = await scoreOne(exchange);
      await options.database.query(
        'UPDATE online_exchanges SET score = $2, explanation = $3, judge_cost_nanos = $4, scored_at = $5 WHERE request_id = $1',
        [exchange.requestId, result.score, result.explanation, result.costNanos.toString(), now()],
      );
      await options.quality.refreshOnline(exchange.model, exchange.taskClass, new Date(now().getTime() - options.windowMs));
      stats.scored++;
    } catch (error) {
      stats.errors++;
      const message = error instanceof Error ? error.message : String(error);
      await options.database.query('UPDATE online_exchanges SET error_message = $2 WHERE request_id = $1', [exchange.requestId, message]);
      // JudgeFailure and ModelCallError messages carry no conversation text (quotes live in `excerpt`, dropped here).
      log.warn({ requestId: exchange.requestId, model: exchange.model, error: message }, 'online scoring failed');
    }
  }

  const pump = () => {
    while (!stopped && busy < options.workers && queue.length > 0) {
      const exchange = queue.shift()!;
      busy++;
      process(exchange)
        .catch((error: unknown) => {
          stats.errors++;
          log.error({ err: error, requestId: exchange.requestId }, 'online scoring crashed');
        })
        .finally(() => {
          busy--;
          pump();
          checkIdle();
        });
    }
  };

  return {
    submit(exchange) {
      if (stopped) {
        stats.dropped++;
        return 'dropped';
      }
      if (exchange.teamId === options.evaluationTeam || (!allowAll && !allowed.has(exchange.teamId))) {
        stats.notAllowed++;
        return 'not_allowed';
      }
      if (recent.has(exchange.requestId)) {
        stats.duplicates++;
        return 'duplicate';
      }
      if (queue.length >= options.queueCapacity) {
        stats.dropped++;
        return 'dropped';
      }
      remember(exchange.requestId);
      queue.push(exchange);
      stats.queued++;
      // Scoring starts on a later tick: the RPC answers first.
      setImmediate(pump);
      return 'queued';
    },
    stats: () => ({ ...stats, pending: queue.length + busy }),
    idle: () =>
      new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        checkIdle();
      }),
    async stop() {
      stopped = true;
      stats.dropped += queue.length;
      queue.length = 0;
      // In-flight scorings end within their call deadlines; wait for them, boundedly.
      for (let waited = 0; busy > 0 && waited < 30_000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10));
      checkIdle();
    },
  };
}
