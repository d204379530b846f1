/** Formats rows as an aligned text table (numbers right-aligned). */
export function formatTable(headers: string[], rows: (string | number | bigint)[][]): string {
  const cells = [headers, ...rows.map((row) => row.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((row) => typeof row[i] !== 'string' || /^-?[\d.,$%]+$/.test(String(row[i]))));
  const line = (row: string[]) => row.map((cell, i) => (numeric[i] ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

/** nano-USD as dollars, e.g. 1234567n → "$0.001235" (display only; money stays integer everywhere else). */
export function formatUsd(nanos: bigint): string {
  const negative = nanos < 0n;
  const abs = negative ? -nanos : nanos;
  const dollars = abs / 1_000_000_000n;
  const micros = (abs % 1_000_000_000n + 500n) / 1000n; // round half up to 6 decimals
  return `${negative ? '-' : ''}$${dollars}.${micros.toString().padStart(6, '0')}`;
}

/** JSON.stringify that prints bigints as strings (protobuf int64). */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2);
}
