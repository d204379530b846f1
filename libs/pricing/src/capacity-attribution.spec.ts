import fc from 'fast-check';
import { attributeCapacity } from './capacity-attribution';

const usage = (entries: Array<[string, bigint]>) => new Map(entries);
const shares = (result: Map<string, bigint>) => [...result.entries()];

describe('attributeCapacity', () => {
  it.each([
    // [description, hour cost, usage, expected shares in team-id order]
    ['3:1 split of $2.00 is exact', 2_000_000_000n, [['team-a', 3_000n], ['team-b', 1_000n]], [['team-a', 1_500_000_000n], ['team-b', 500_000_000n]]],
    // 10 nano over 3:1 = 7.5 / 2.5 → floors 7 + 2 = 9; one left over; remainders equal (0.5 each) → tie-break by id: team-a
    ['3:1 split with a tie takes the lower team id', 10n, [['team-b', 1n], ['team-a', 3n]], [['team-a', 8n], ['team-b', 2n]]],
    // 1 nano over 1:1:1 → all remainders equal → lowest id gets it
    ['one nano over three equal teams', 1n, [['c', 5n], ['a', 5n], ['b', 5n]], [['a', 1n], ['b', 0n], ['c', 0n]]],
    // 100 over 1:1:1 = 33.33 each → 99 + 1 left over → 'a'
    ['thirds', 100n, [['a', 1n], ['b', 1n], ['c', 1n]], [['a', 34n], ['b', 33n], ['c', 33n]]],
    // 10 over 1:2:7 tokens... exact: 1, 2, 7
    ['exact proportions need no remainder', 10n, [['x', 1n], ['y', 2n], ['z', 7n]], [['x', 1n], ['y', 2n], ['z', 7n]]],
    // 10 over 1:1:4 (total 6): 1.667, 1.667, 6.667 → 1,1,6 =8, 2 left: remainders 4,4,4 (of 6) → a, b
    ['largest remainders then ids', 10n, [['a', 1n], ['b', 1n], ['c', 4n]], [['a', 2n], ['b', 2n], ['c', 6n]]],
    // 7 over 2:3 (total 5): 2.8, 4.2 → 2, 4 = 6, 1 left: remainders 4 vs 1 → a (larger remainder wins over id order)
    ['largest remainder beats id order', 7n, [['b', 3n], ['a', 2n]], [['a', 3n], ['b', 4n]]],
    ['a team with no tokens gets nothing', 5n, [['a', 0n], ['b', 1n]], [['a', 0n], ['b', 5n]]],
    ['an idle hour is attributed to nobody', 5n, [['a', 0n], ['b', 0n]], [['a', 0n], ['b', 0n]]],
    ['zero cost', 0n, [['a', 10n]], [['a', 0n]]],
    ['no teams', 5n, [], []],
  ] as Array<[string, bigint, Array<[string, bigint]>, Array<[string, bigint]>]>)('%s', (_name, cost, input, expected) => {
    expect(shares(attributeCapacity(cost, usage(input)))).toEqual(expected);
  });

  it('refuses negative input', () => {
    expect(() => attributeCapacity(-1n, usage([['a', 1n]]))).toThrow(/hourCostNanos/);
    expect(() => attributeCapacity(1n, usage([['a', -1n]]))).toThrow(/tokens of team a/);
  });

  it('always sums exactly to the hour cost and stays within one nano of the exact share', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 10n ** 15n }),
        fc.dictionary(fc.string({ minLength: 1, maxLength: 6 }), fc.bigInt({ min: 0n, max: 10n ** 9n }), { minKeys: 1, maxKeys: 12 }),
        (cost, dict) => {
          const input = new Map(Object.entries(dict));
          const total = [...input.values()].reduce((a, b) => a + b, 0n);
          const result = attributeCapacity(cost, input);
          const sum = [...result.values()].reduce((a, b) => a + b, 0n);
          expect(sum).toBe(total === 0n ? 0n : cost);
          for (const [team, share] of result) {
            if (total === 0n) continue;
            const floor = (cost * input.get(team)!) / total;
            expect(share === floor || share === floor + 1n).toBe(true);
          }
          // deterministic regardless of input order
          const reversed = new Map([...input.entries()].reverse());
          expect([...attributeCapacity(cost, reversed).entries()]).toEqual([...result.entries()]);
        },
      ),
      { numRuns: 300, seed: 42 },
    );
  });
});
