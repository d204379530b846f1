import { formatNanosAsUsd, parseUsdToNanos } from './usd-amount';

describe('parseUsdToNanos', () => {
  it.each([
    ['0', 0n],
    ['2.50', 2_500_000_000n],
    ['0.075', 75_000_000n],
    ['0.000000001', 1n],
    ['10', 10_000_000_000n],
    ['999999999999.999999999', 999_999_999_999_999_999_999n],
  ])('%s → %s', (usd, nanos) => expect(parseUsdToNanos(usd)).toBe(nanos));

  it.each(['-1', '1.0000000001', 'abc', '', '1e3', '.5', '1.'])('refuses %j', (usd) => {
    expect(() => parseUsdToNanos(usd)).toThrow(RangeError);
  });
});

describe('formatNanosAsUsd', () => {
  it.each([
    [0n, '0.00'],
    [2_500_000_000n, '2.50'],
    [75_000_000n, '0.075'],
    [1n, '0.000000001'],
    [-1_500_000_000n, '-1.50'],
  ])('%s → %s', (nanos, usd) => expect(formatNanosAsUsd(nanos)).toBe(usd));
});
