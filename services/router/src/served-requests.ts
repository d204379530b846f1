/**
 * AIP-155 request ids within one router process: the requests this router is serving or has served
 * recently, by (team, request id), with a fingerprint of the request. A retry of a completed Generate
 * is answered with the original response (no second provider call, no second usage row); a duplicate
 * of a Generate still in flight waits for it; the same id on a different request is ALREADY_EXISTS. A
 * stream cannot be replayed or joined, so a duplicate of one is ALREADY_EXISTS too. Across replicas and
 * restarts billing answers instead (ReserveBudget: REQUEST_ALREADY_SERVED; see budget.ts).
 */
import { createHash } from 'node:crypto';
import { toBinary } from '@bufbuild/protobuf';
import { status } from '@grpc/grpc-js';
import { common, router } from '@switchyard/contracts';
import { ServiceFailure } from '@switchyard/grpc-kit';
import type { RoutedRequest } from './request-validation';

/** The two request kinds; a request id names one request of one kind. */
export type ServedRequestKind = 'Generate' | 'StreamGenerate';

/** What to do with a request that carries a caller-chosen request id. */
export type RequestAdmission<Response> =
  /** Serve it, then report the outcome on the ticket (exactly once). */
  | { kind: 'serve'; ticket: ServingTicket<Response> }
  /** The same Generate completed here: answer its response again. */
  | { kind: 'replay'; response: Response }
  /** The same Generate is being served here right now: its outcome is this request's. */
  | { kind: 'join'; outcome: Promise<Response> };

/** The outcome of a request admitted with `serve`. */
export interface ServingTicket<Response> {
  /** Served successfully (usage recorded): retries get `response` (Generate) or ALREADY_EXISTS (stream). */
  served(response?: Response): void;
  /** Not served (nothing billed as a success): the id is free for a retry. */
  failed(error: unknown): void;
}

/** Options for createServedRequests. */
export interface ServedRequestsOptions<Response> {
  /** How long a completed request is remembered, ms (default 10 minutes). */
  ttlMs?: number;
  /** Most completed requests remembered (default 10,000); the least recently used go first. */
  maxEntries?: number;
  /** Most bytes of remembered responses (approximate, default 64 MiB). */
  maxBytes?: number;
  /** Approximate size of a response in bytes, for `maxBytes`. */
  sizeOf?: (response: Response) => number;
  /** Clock, for tests. */
  now?: () => number;
}

/** The requests a router is serving and has served recently. */
export interface ServedRequests<Response> {
  /**
   * Admits a request with a caller-chosen id (`fingerprint` identifies its content). Throws
   * ALREADY_EXISTS when the id belongs to a different request, or to a stream in flight or served.
   */
  admit(teamId: string, requestId: string, kind: ServedRequestKind, fingerprint: string): RequestAdmission<Response>;
  /** Entries remembered and in flight, and the bytes of remembered responses. */
  stats(): { completed: number; inFlight: number; bytes: number };
}

interface InFlight<Response> {
  kind: ServedRequestKind;
  fingerprint: string;
  outcome: Promise<Response>;
}

interface Completed<Response> {
  kind: ServedRequestKind;
  fingerprint: string;
  response?: Response;
  bytes: number;
  expiresAt: number;
}

/**
 * A fingerprint of a request's kind and content (SHA-256, base64). Short strings are joined
 * (length-prefixed) into one hash update and long texts are hashed as they are, rather than
 * re-serializing the whole request: a chat turn costs a few microseconds. Params and routing hints,
 * when set, go in as protobuf.
 */
export function requestFingerprint(kind: ServedRequestKind, request: RoutedRequest): string {
  const digest = createHash('sha256');
  let pending: string = kind;
  const text = (value: string) => {
    pending += `|${value.length}:`;
    if (value.length < 1024) pending += value;
    else {
      digest.update(pending).update(value);
      pending = '';
    }
  };
  text(request.model);
  for (const message of request.messages) {
    pending += `|m${message.role}:${message.parts.length}:${message.toolCalls.length}`;
    text(message.name);
    text(message.toolCallId);
    for (const part of message.parts) {
      if (part.kind.case === 'text') text(part.kind.value);
      else {
        digest.update(pending).update(toBinary(common.ContentPartSchema, part));
        pending = '|';
      }
    }
    for (const call of message.toolCalls) {
      text(call.id);
      text(call.name);
      text(call.argumentsJson);
    }
  }
  const context = request.context;
  pending += `|c${context?.featureTags.length ?? -1}`;
  if (context) {
    text(context.requestId);
    text(context.project);
    text(context.endUserId);
    for (const tag of context.featureTags) text(tag);
  }
  digest.update(`${pending}|p`);
  if (request.params) digest.update(toBinary(common.GenerationParamsSchema, request.params));
  digest.update('|r');
  if (request.routing) digest.update(toBinary(router.RoutingOptionsSchema, request.routing));
  return digest.digest('base64');
}

const reused = (requestId: string) =>
  new ServiceFailure(
    status.ALREADY_EXISTS,
    `request id "${requestId}" was already used for a different request; a retry must repeat the request exactly, and a new request needs a new request id`,
    { reason: 'REQUEST_ID_REUSED', metadata: { request_id: requestId } },
  );

/** ALREADY_EXISTS REQUEST_ALREADY_SERVED for a request id that was served (here, or as billing reports). */
export const alreadyServed = (requestId: string, why: string) =>
  new ServiceFailure(status.ALREADY_EXISTS, `request id "${requestId}" was already served${why ? ` (${why})` : ''}; it is not served or billed again. A new request needs a new request id`, {
    reason: 'REQUEST_ALREADY_SERVED',
    metadata: { request_id: requestId },
  });

/** Creates the in-process registry of served requests (bounded LRU of completed ones, with a TTL). */
export function createServedRequests<Response>(options: ServedRequestsOptions<Response> = {}): ServedRequests<Response> {
  const ttlMs = options.ttlMs ?? 10 * 60_000;
  const maxEntries = options.maxEntries ?? 10_000;
  const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
  const sizeOf = options.sizeOf ?? (() => 1024);
  const now = options.now ?? Date.now;
  const inFlight = new Map<string, InFlight<Response>>();
  // Map order is recency: a hit moves the entry to the end, eviction takes from the front.
  const completed = new Map<string, Completed<Response>>();
  let bytes = 0;

  const forget = (key: string, entry: Completed<Response>) => {
    completed.delete(key);
    bytes -= entry.bytes;
  };
  const evict = () => {
    const at = now();
    for (const [key, entry] of completed) {
      if (completed.size <= maxEntries && bytes <= maxBytes && entry.expiresAt > at) break;
      forget(key, entry);
    }
  };

  return {
    admit(teamId, requestId, kind, fingerprint) {
      const key = `${teamId}\u0000${requestId}`;
      const running = inFlight.get(key);
      if (running) {
        if (running.fingerprint !== fingerprint) throw reused(requestId);
        if (kind === 'StreamGenerate') {
          throw new ServiceFailure(status.ALREADY_EXISTS, `request id "${requestId}" is being served right now, and a stream cannot be joined; wait for it or use a new request id`, {
            reason: 'REQUEST_IN_PROGRESS',
            metadata: { request_id: requestId },
          });
        }
        return { kind: 'join', outcome: running.outcome };
      }
      const done = completed.get(key);
      if (done && done.expiresAt <= now()) forget(key, done);
      else if (done) {
        if (done.fingerprint !== fingerprint) throw reused(requestId);
        if (kind === 'StreamGenerate' || done.response === undefined) throw alreadyServed(requestId, 'a stream cannot be replayed');
        completed.delete(key);
        completed.set(key, done);
        return { kind: 'replay', response: done.response };
      }

      let settle!: { resolve: (response: Response) => void; reject: (error: unknown) => void };
      const outcome = new Promise<Response>((resolve, reject) => (settle = { resolve, reject }));
      outcome.catch(() => undefined); // joiners handle it; nobody may be joining
      inFlight.set(key, { kind, fingerprint, outcome });
      let open = true;
      return {
        kind: 'serve',
        ticket: {
          served(response) {
            if (!open) return;
            open = false;
            inFlight.delete(key);
            const entry: Completed<Response> = { kind, fingerprint, response, bytes: response === undefined ? 256 : sizeOf(response), expiresAt: now() + ttlMs };
            if (maxEntries > 0 && entry.bytes <= maxBytes) {
              completed.set(key, entry);
              bytes += entry.bytes;
              evict();
            }
            if (response !== undefined) settle.resolve(response);
            else settle.reject(alreadyServed(requestId, 'a stream cannot be replayed'));
          },
          failed(error) {
            if (!open) return;
            open = false;
            inFlight.delete(key);
            settle.reject(error);
          },
        },
      };
    },
    stats: () => ({ completed: completed.size, inFlight: inFlight.size, bytes }),
  };
}
