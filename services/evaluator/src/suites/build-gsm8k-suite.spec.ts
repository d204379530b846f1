import { readFileSync } from 'node:fs';
import { buildGsm8kSuite, buildGsm8kSuiteFromFiles, DEFAULT_GSM8K_SUITE_FILE, parseGoldFile, type Gsm8kResponseRow, type Gsm8kRow } from './build-gsm8k-suite';
import { parseSuiteText } from './suite-file';

const row = (id: string, strong: number, weak: number): Gsm8kRow => ({ id, prompt: `question ${id}`, strong_correct: strong, weak_correct: weak, contaminated: false });
const answers = (id: string, strong: string, weak: string): Gsm8kResponseRow => ({ id, strong_response: strong, weak_response: weak });

describe('the GSM8K suite builder', () => {
  it('derives the reference from an answer marked correct and leaves out what it cannot derive', () => {
    const build = buildGsm8kSuite(
      [row('gsm8k/1', 1, 0), row('gsm8k/2', 0, 1), row('gsm8k/3', 0, 0), row('gsm8k/4', 1, 1), row('gsm8k/5', 1, 0)],
      [
        answers('gsm8k/1', 'so 18 dollars', '#### 17'),
        answers('gsm8k/2', 'it is 4', 'it is 5'),
        answers('gsm8k/3', '1', '2'),
        answers('gsm8k/4', '= 7', '#### 7'),
        // Marked wrong but its final integer equals the strong one: the data and the rule disagree.
        answers('gsm8k/5', 'total 9', 'total 9'),
      ],
    );
    const suite = parseSuiteText(build.lines.join('\n'), 'gsm8k.v1.jsonl');
    expect(suite.items.map((item) => [item.id, item.reference])).toEqual([
      ['gsm8k/1', '18'],
      ['gsm8k/2', '5'],
      ['gsm8k/4', '7'],
    ]);
    expect(build.excluded).toEqual([
      { id: 'gsm8k/3', reason: 'both models were wrong, so the gold answer cannot be derived from the data' },
      { id: 'gsm8k/5', reason: "reference 9 disagrees with RouteLLM's recorded weak correctness" },
    ]);
    expect(build.referenceSources).toEqual({ strong: 2, weak: 1, gold: 0 });
  });

  it('uses real gold answers when given', () => {
    const gold = parseGoldFile(['{"question": "q0", "answer": "work\\n#### 1,000"}', '{"question": "q1", "answer": "#### 3"}'].join('\n'));
    const build = buildGsm8kSuite([row('gsm8k/0', 0, 0), row('gsm8k/1', 1, 0)], [answers('gsm8k/0', '999', '998'), answers('gsm8k/1', '3', '4')], gold);
    expect(build.excluded).toEqual([]);
    expect(build.referenceSources.gold).toBe(2);
  });

  it('matches the committed suite file (regenerate with npm run build-gsm8k-suite)', () => {
    const build = buildGsm8kSuiteFromFiles();
    expect(readFileSync(DEFAULT_GSM8K_SUITE_FILE, 'utf8')).toBe(`${build.lines.join('\n')}\n`);
    expect(build.itemCount + build.excluded.length).toBe(928);
  });
});
