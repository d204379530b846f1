import type { z } from 'zod';
import { EdgeRequestError } from './edge-request-error';
import type { FieldPath } from './field-path';

/**
 * Parses a body with a zod schema; on failure throws an EdgeRequestError for the first issue,
 * naming the field the way the API itself would (`fieldName`) in a message a person can act on.
 */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown, fieldName: (path: FieldPath) => string): z.output<S> {
  const result = schema.safeParse(body, { reportInput: true });
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.length > 0 ? fieldName(issue.path) : undefined;
  if (field && issue.code === 'invalid_type' && issue.input === undefined) {
    throw new EdgeRequestError(`Missing required parameter: '${field}'.`, field);
  }
  throw new EdgeRequestError(field ? `Invalid value for '${field}': ${issue.message}` : issue.message, field);
}
