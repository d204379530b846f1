import type { z } from 'zod';
import { EdgeRequestError } from './edge-request-error';
import type { FieldPath } from './field-path';

interface Issue {
  code: string;
  path: PropertyKey[];
  message: string;
  input?: unknown;
  errors?: Issue[][];
}

/**
 * The issue a person should read for a failed union: the branch that got furthest into the value
 * (deepest path), preferring a branch whose type matched (`stop: ["a",…]` is "too many items",
 * not "expected string"). Paths inside a branch are relative to the union, so they are joined.
 */
function mostSpecific(issue: Issue): Issue {
  if (issue.code !== 'invalid_union' || !issue.errors?.length) return issue;
  let best: { issue: Issue; score: number } | undefined;
  for (const branch of issue.errors) {
    const first = branch[0];
    if (!first) continue;
    const resolved = mostSpecific({ ...first, path: [...issue.path, ...first.path] });
    const score = resolved.path.length * 2 + (first.code === 'invalid_type' && first.path.length === 0 ? 0 : 1);
    if (!best || score > best.score) best = { issue: resolved, score };
  }
  return best?.issue ?? issue;
}

/**
 * Parses a body with a zod schema; on failure throws an EdgeRequestError for the first issue,
 * naming the field the way the API itself would (`fieldName`) in a message a person can act on.
 */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown, fieldName: (path: FieldPath) => string): z.output<S> {
  const result = schema.safeParse(body, { reportInput: true });
  if (result.success) return result.data;
  const issue = mostSpecific(result.error.issues[0] as unknown as Issue);
  const field = issue.path.length > 0 ? fieldName(issue.path) : undefined;
  if (field && issue.code === 'invalid_type' && issue.input === undefined) {
    throw new EdgeRequestError(`Missing required parameter: '${field}'.`, field);
  }
  throw new EdgeRequestError(field ? `Invalid value for '${field}': ${issue.message}` : issue.message, field);
}
