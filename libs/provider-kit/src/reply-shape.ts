import { UpstreamProtocolError } from './translation-errors';

// Vendor SDKs parse upstream JSON without checking it, so an adapter's translators see only as typed a
// reply as the server sent. These checks turn a reply of the wrong shape into an UpstreamProtocolError
// (UNAVAILABLE: another provider may answer) instead of a TypeError deep in a translator (INTERNAL).

/** Whether `value` is a plain JSON object (not null, not an array). */
export const isJsonObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Whether a reply field is missing (undefined or JSON null). */
export const isAbsent = (value: unknown): boolean => value === undefined || value === null;

/** Throws the UpstreamProtocolError for a reply field of the wrong shape, naming its path and what it is. */
export function failReplyShape(path: string, expected: string, value: unknown): never {
  const got = Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value;
  throw new UpstreamProtocolError(`the upstream reply's ${path} is ${got}, expected ${expected}`);
}

/** A string or absent. */
export function checkOptionalString(value: unknown, path: string): void {
  if (!isAbsent(value) && typeof value !== 'string') failReplyShape(path, 'a string', value);
}

/** A token count: a whole number ≥ 0 (a fraction or a negative count cannot be billed). */
export function checkCount(value: unknown, path: string): void {
  if (!(typeof value === 'number' && Number.isSafeInteger(value) && value >= 0)) failReplyShape(path, 'a whole number ≥ 0', value);
}

/** A token count or absent. */
export function checkOptionalCount(value: unknown, path: string): void {
  if (!isAbsent(value)) checkCount(value, path);
}
