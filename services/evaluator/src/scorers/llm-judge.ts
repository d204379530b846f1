import { ModelCallError, type ChatTurn, type ModelCaller } from '../model-caller';
import { MalformedJudgeReply, parseJudgeReply, type JudgeGrade } from './judge-reply';
import { DEFAULT_RUBRIC, JUDGE_RUBRICS } from './judge-rubrics';

/** Options for createJudge. */
export interface JudgeOptions {
  /** How the judge is reached: through the router with the evaluation team's key, so judge calls are billed to evaluation. */
  caller: ModelCaller;
  /** The pinned judge model, e.g. "openai/gpt-4o". */
  model: string;
  /** Deadline of one judge call, ms. */
  timeoutMs: number;
}

/** What to grade. */
export interface JudgeRequest {
  conversation: readonly ChatTurn[];
  answer: string;
  reference?: string;
  /** Rubric key, default `general@1`. */
  rubric?: string;
  requestId: string;
  signal?: AbortSignal;
}

/** A grade with its provenance. */
export interface JudgeVerdict extends JudgeGrade {
  rubric: string;
  model: string;
  costNanos: bigint;
}

/** A judge call that failed or a reply without a grade; the item is recorded as an error. */
export class JudgeFailure extends Error {
  override readonly name = 'JudgeFailure';
  constructor(
    message: string,
    readonly costNanos: bigint,
    /** A short quote of the judge's reply, for offline results only (never logged, never stored for live traffic). */
    readonly excerpt?: string,
  ) {
    super(message);
  }
}

/** The LLM judge: a pinned model, a versioned rubric, a 1-10 score with a short reason. */
export interface Judge {
  readonly model: string;
  grade(request: JudgeRequest): Promise<JudgeVerdict>;
}

/** Renders a conversation for the judge as "role: text" blocks. */
export function renderConversation(turns: readonly ChatTurn[]): string {
  return turns.map((turn) => `${turn.role}: ${turn.content}`).join('\n\n');
}

/** Creates the judge. Temperature 0 and a short reply budget: the judge is asked for one line of JSON. */
export function createJudge(options: JudgeOptions): Judge {
  return {
    model: options.model,
    async grade(request) {
      const rubric = JUDGE_RUBRICS.get(request.rubric ?? DEFAULT_RUBRIC);
      if (!rubric) throw new JudgeFailure(`unknown rubric "${request.rubric}"`, 0n);
      let reply;
      try {
        reply = await options.caller.generate({
          model: options.model,
          messages: [
            { role: 'system', content: rubric.system },
            { role: 'user', content: rubric.render({ conversation: renderConversation(request.conversation), answer: request.answer, reference: request.reference }) },
          ],
          params: { temperature: 0, maxOutputTokens: 200 },
          requestId: request.requestId,
          timeoutMs: options.timeoutMs,
          signal: request.signal,
          purpose: 'judge',
        });
      } catch (error) {
        const message = error instanceof ModelCallError ? error.message : String(error);
        throw new JudgeFailure(`judge call failed: ${message}`, 0n);
      }
      try {
        return { ...parseJudgeReply(reply.text), rubric: rubric.key, model: options.model, costNanos: reply.costNanos };
      } catch (error) {
        throw new JudgeFailure(`malformed judge reply: ${(error as Error).message}`, reply.costNanos, error instanceof MalformedJudgeReply ? error.excerpt : undefined);
      }
    },
  };
}
