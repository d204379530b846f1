import { formatTable, formatUsd, toJson } from './output';

describe('formatUsd', () => {
  it.each([
    [0n, '$0.000000'],
    [1_000_000_000n, '$1.000000'],
    [1_234_567n, '$0.001235'],
    [499n, '$0.000000'],
    [500n, '$0.000001'],
    [-2_500_000_000n, '-$2.500000'],
  ])('%s nano-USD is %s', (nanos, text) => expect(formatUsd(nanos)).toBe(text));
});

describe('formatTable', () => {
  it('aligns text left and numbers right', () => {
    expect(formatTable(['model', 'n'], [['a', 5], ['long-name', 10]])).toBe(['model       n', '---------  --', 'a           5', 'long-name  10'].join('\n'));
  });
});

describe('toJson', () => {
  it('prints bigints as strings', () => expect(toJson({ cost: 12n })).toContain('"12"'));
});
