/** Nano-USD in one USD. */
export const NANOS_PER_USD = 1_000_000_000n;

const usdPattern = /^(\d{1,12})(?:\.(\d{1,9}))?$/;

/**
 * Parses a decimal USD amount such as `"2.50"` or `"0.075"` into integer nano-USD, exactly
 * (no floating point anywhere). At most 9 fractional digits; negative amounts are refused.
 */
export function parseUsdToNanos(usd: string): bigint {
  const match = usdPattern.exec(usd.trim());
  if (!match) throw new RangeError(`"${usd}" is not a non-negative USD amount with at most 9 decimals`);
  const whole = BigInt(match[1]);
  const fraction = BigInt((match[2] ?? '').padEnd(9, '0'));
  return whole * NANOS_PER_USD + fraction;
}

/**
 * Formats integer nano-USD as a decimal USD string, trimming trailing zeros but keeping cents:
 * `2500000000n` → `"2.50"`, `75000000n` → `"0.075"`, `-1n` → `"-0.000000001"`.
 */
export function formatNanosAsUsd(nanos: bigint): string {
  const sign = nanos < 0n ? '-' : '';
  const magnitude = nanos < 0n ? -nanos : nanos;
  const whole = magnitude / NANOS_PER_USD;
  let fraction = (magnitude % NANOS_PER_USD).toString().padStart(9, '0').replace(/0+$/, '');
  if (fraction.length < 2) fraction = fraction.padEnd(2, '0');
  return `${sign}${whole}.${fraction}`;
}
