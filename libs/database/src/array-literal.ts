/**
 * PostgreSQL array literals built in one pass, for `unnest($1::text[], ...)` bulk statements: much
 * cheaper than letting the driver prepare and escape a thousand elements per column, and the same
 * text on PGlite and on `pg`. Elements are never NULL here.
 */

/** `{"a","b\"c"}`: every element quoted; only `"` and `\` need escaping inside quotes. */
export function textArrayLiteral(values: readonly string[]): string {
  if (values.length === 0) return '{}';
  let out = '{"';
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (i > 0) out += '","';
    out += value.includes('"') || value.includes('\\') ? value.replace(/["\\]/g, '\\$&') : value;
  }
  return `${out}"}`;
}

/** `{1,-2,3}` for integers (bigint or safe-integer numbers). */
export function integerArrayLiteral(values: ReadonlyArray<bigint | number>): string {
  return `{${values.join(',')}}`;
}
