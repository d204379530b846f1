import type { ModelCaller } from '../model-caller';
import { createJudge } from './llm-judge';
import { extractJson, scoreAnswer, ScoringError } from './score-answer';
import { parseScorerSpec, type ScorerSpec } from './scorer-spec';

function spec(raw: unknown): ScorerSpec {
  const parsed = parseScorerSpec(raw);
  if ('error' in parsed) throw new Error(parsed.error);
  return parsed.spec;
}

const score = (scorer: unknown, output: string, reference?: unknown) =>
  scoreAnswer({ spec: spec(scorer), output, reference, conversation: [{ role: 'user', content: 'q' }], requestId: 'r' });

describe('scorers', () => {
  it.each([
    ['exact_match', ' Paris ', 'Paris', 1],
    ['exact_match', 'paris', 'Paris', 0],
    [{ type: 'exact_match', case_sensitive: false }, 'paris', 'Paris', 1],
    ['normalized_match', 'The Eiffel Tower!', 'eiffel tower', 1],
    ['normalized_match', 'Big Ben', ['Eiffel Tower', 'big ben'], 1],
    ['normalized_match', 'Louvre', 'eiffel tower', 0],
    ['numeric_final_answer', 'so she earns $1,296.00 in total', '1296', 1],
    ['numeric_final_answer', '#### 41', 42, 0],
    [{ type: 'numeric_final_answer', extract: 'last_integer' }, 'It takes 4.5 hours', '5', 1],
    [{ type: 'numeric_final_answer', tolerance: 0.01 }, 'about 3.14159', '3.14', 1],
    [{ type: 'regex', pattern: '^yes\\b', flags: 'i' }, 'Yes, indeed', undefined, 1],
    [{ type: 'regex', pattern: "I can(?:'|no)t", expect: 'no_match' }, "I can't help with that", undefined, 0],
    [{ type: 'contains', values: ['alpha', 'beta'] }, 'ALPHA and beta', undefined, 1],
    [{ type: 'contains', values: ['alpha', 'gamma'] }, 'alpha and beta', undefined, 0],
    [{ type: 'contains', values: ['alpha', 'gamma'], mode: 'any' }, 'alpha and beta', undefined, 1],
    ['contains', 'the code is XK-9', 'xk-9', 1],
    [{ type: 'not_contains', values: ['password'] }, 'here is the Password', undefined, 0],
    ['not_contains', 'all clean', ['secret'], 1],
  ])('%j scores %j against %j as %d', async (scorer, output, reference, expected) => {
    expect((await score(scorer, output, reference)).score).toBe(expected);
  });

  describe('json_schema', () => {
    const schema = { type: 'object', properties: { name: { type: 'string' }, total: { type: 'number' } }, required: ['name', 'total'] };
    it('scores validity without a reference', async () => {
      expect(await score({ type: 'json_schema', schema }, '```json\n{"name": "A", "total": 3}\n```')).toMatchObject({ score: 1 });
      expect(await score({ type: 'json_schema', schema }, '{"name": "A"}')).toMatchObject({ score: 0, explanation: 'schema: /total: required' });
      expect(await score({ type: 'json_schema', schema }, 'no json here')).toMatchObject({ score: 0 });
    });
    it('scores the share of reference fields reproduced', async () => {
      const result = await score({ type: 'json_schema', schema }, 'Sure: {"name": "acme corp", "total": 4}', { name: 'ACME Corp.', total: 3 });
      expect(result.score).toBe(0.5);
      expect(result.explanation).toContain('/total');
    });
  });

  it('extracts JSON from surrounding prose', () => {
    expect(extractJson('Result: [1, 2] done')).toEqual({ value: [1, 2] });
    expect(extractJson('nothing')).toBeUndefined();
  });

  describe('llm_judge', () => {
    const judgeWith = (text: string): ModelCaller => ({
      kind: 'router',
      generate: async () => ({ text, costNanos: 1234n, latencyMs: 1, inputTokens: 10n, outputTokens: 5n, servedModel: 'judge' }),
      close: () => undefined,
    });
    const judged = (reply: string) =>
      scoreAnswer(
        { spec: spec({ type: 'llm_judge' }), output: 'answer', conversation: [{ role: 'user', content: 'question' }], requestId: 'r' },
        { judge: createJudge({ caller: judgeWith(reply), model: 'openai/gpt-4o', timeoutMs: 1000 }) },
      );

    it('turns a 1-10 grade into a score in [0, 1] with the reason and the judge cost', async () => {
      const result = await judged('{"score": 10, "reason": "Right."}');
      expect(result).toEqual({ score: 1, explanation: 'judge openai/gpt-4o (general@1): 10/10 — Right.', judgeCostNanos: 1234n });
      expect((await judged('{"score": 1, "reason": "Wrong."}')).score).toBe(0);
    });

    it('makes a malformed reply a scoring error, not a zero', async () => {
      const failure = await judged('Looks good!').catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(ScoringError);
      expect((failure as ScoringError).message).toBe('malformed judge reply: judge reply has no score: "Looks good!"');
      expect((failure as ScoringError).judgeCostNanos).toBe(1234n);
    });

    it('is an error without a judge', async () => {
      await expect(score({ type: 'llm_judge' }, 'x')).rejects.toThrow('no judge model is configured');
    });
  });
});
