import { oracleRouter, promptLengthRouter, randomRouter } from './baseline-routers';
import { evaluateRouters, type GroupEvaluation, type RouterResult } from './router-evaluation';
import type { RoutingRow } from './routing-data';
import { createSeededRandom } from './seeded-random';

function syntheticRows(count: number): RoutingRow[] {
  const random = createSeededRandom(7);
  return Array.from({ length: count }, (_, i) => {
    const benchmark = i % 3 === 0 ? 'gsm8k' : 'mmlu';
    const length = 20 + Math.floor(random() * 400);
    // longer prompts are harder for the weak model
    const weak = random() < 0.9 - length / 800 ? 1 : 0;
    return {
      id: `${benchmark}/${i}`,
      benchmark,
      prompt: 'x'.repeat(length),
      strongCorrect: random() < 0.85 ? 1 : 0,
      weakCorrect: weak,
      contaminated: false,
    };
  });
}

function resultOf(group: GroupEvaluation, router: string): RouterResult {
  const result = group.routers.find((r) => r.router === router);
  if (!result) throw new Error(`no result for ${router}`);
  return result;
}

describe('evaluateRouters', () => {
  const rows = syntheticRows(300);
  const routers = [promptLengthRouter(rows), randomRouter(rows), oracleRouter(rows)];
  const options = { resamples: 200, seed: 11, comparisons: [['prompt length', 'random']] as const };

  it('reports every benchmark and the pool', () => {
    const groups = evaluateRouters(rows, routers, options);
    expect(groups.map((g) => g.group)).toEqual(['gsm8k', 'mmlu', 'pooled']);
    expect(groups[2].rows).toBe(300);
  });

  it('is deterministic for a seed', () => {
    expect(evaluateRouters(rows, routers, options)).toEqual(evaluateRouters(rows, routers, options));
  });

  it('gives random exactly 0.5 and brackets each point estimate', () => {
    for (const group of evaluateRouters(rows, routers, options)) {
      const random = resultOf(group, 'random');
      expect(random.metrics.apgr).toBeCloseTo(0.5, 12);
      expect(random.apgrInterval.low).toBeCloseTo(0.5, 12);
      for (const result of group.routers) {
        expect(result.apgrInterval.low).toBeLessThanOrEqual(result.apgrInterval.high);
      }
      const oracle = resultOf(group, 'oracle');
      expect(oracle.metrics.apgr).toBeGreaterThan(random.metrics.apgr);
      const [difference] = group.differences;
      expect(difference.interval.low).toBeLessThanOrEqual(difference.interval.high);
    }
  });
});
