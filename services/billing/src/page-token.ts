import { createHash } from 'node:crypto';
import { InvalidFieldError } from './billing-errors';

/** What a page token carries: the query it belongs to, where the last page ended, and resolved times. */
export interface PageCursor {
  /** Fingerprint of the query's filter; a token from another query is refused. */
  query: string;
  /** The sort key of the last row returned. */
  after: string[];
  /** Resolved time bounds (ms), so "now" does not move between pages. */
  startMs?: number;
  endMs?: number;
}

/** A short stable fingerprint of a query's filter. */
export function queryFingerprint(filter: unknown): string {
  return createHash('sha256').update(JSON.stringify(filter)).digest('base64url').slice(0, 16);
}

/** Encodes a cursor as an opaque URL-safe token. */
export function encodePageToken(cursor: PageCursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

/**
 * Decodes a page token (empty → undefined). A malformed token or one from a different query is
 * INVALID_ARGUMENT on `page_token` (AIP-158).
 */
export function decodePageToken(token: string, query: string): PageCursor | undefined {
  if (!token) return undefined;
  let cursor: PageCursor;
  try {
    cursor = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as PageCursor;
  } catch {
    throw new InvalidFieldError('page_token', 'is not a token this service issued');
  }
  if (typeof cursor !== 'object' || cursor === null || !Array.isArray(cursor.after) || !cursor.after.every((v) => typeof v === 'string')) {
    throw new InvalidFieldError('page_token', 'is not a token this service issued');
  }
  if (cursor.query !== query) throw new InvalidFieldError('page_token', 'belongs to a query with a different filter; repeat the original filter or start without a token');
  return cursor;
}

/** page_size: 0 means the default (100); negative or above 1000 is refused. */
export function resolvePageSize(pageSize: number, field = 'page_size'): number {
  if (pageSize < 0) throw new InvalidFieldError(field, 'must not be negative');
  if (pageSize > 1000) throw new InvalidFieldError(field, 'must be at most 1000');
  return pageSize === 0 ? 100 : pageSize;
}
