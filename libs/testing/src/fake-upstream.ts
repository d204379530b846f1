import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FakeResponder } from './fake-reply';
import type { ReplayTable } from './replay-table';
import {
  FAULT_DEFAULTS,
  FAULT_HEADER,
  UpstreamFaultPlan,
  faultKinds,
  parseFaultHeader,
  resolveFaults,
  type ResolvedFaults,
  type UpstreamFault,
  type UpstreamFaultKind,
} from './upstream-faults';

/** Options shared by both fake upstreams. */
export interface FakeUpstreamOptions {
  /** The only API key accepted (default `test-key`). */
  readonly apiKey?: string;
  /** Interface to listen on (default `127.0.0.1`). */
  readonly host?: string;
  /** Port (default 0: any free port). */
  readonly port?: number;
  /** Initial fault plan (see `upstream-faults.ts`). */
  readonly faults?: readonly UpstreamFault[];
  /** Delay before the first byte of every generation response (time to first token when streaming). */
  readonly latencyMs?: number;
  /** Delay between stream chunks. */
  readonly chunkDelayMs?: number;
  /** Words of text per streamed delta (default 1, close to the real one token per chunk). */
  readonly wordsPerChunk?: number;
  /** Models listed by `GET /v1/models` (any model name is served regardless). */
  readonly models?: readonly string[];
  /** Recorded answers served instead of the default reply where a prompt matches. */
  readonly replay?: ReplayTable;
  /** Custom replies; returns undefined to fall back to replay and the default rules. */
  readonly respond?: FakeResponder;
  /** Clock in epoch milliseconds, for `created` timestamps (default `Date.now`). */
  readonly now?: () => number;
  /** Recorded requests kept, oldest dropped first (default 10,000), so a benchmark run stays bounded. */
  readonly maxRecordedRequests?: number;
}

/** How a recorded request ended. */
export type RecordedOutcome = 'pending' | 'completed' | 'client_closed' | 'server_reset';

/** One request the fake received. */
export interface RecordedRequest {
  /** 1-based arrival order. */
  readonly seq: number;
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** Parsed JSON body; the raw text when it is not JSON; undefined when empty. */
  body: unknown;
  readonly receivedAt: number;
  /** Faults applied to this request. */
  faults: UpstreamFaultKind[];
  /** HTTP status sent, if a status line was sent. */
  status?: number;
  outcome: RecordedOutcome;
  /** The client closed the connection before the response was complete (e.g. an aborted call). */
  clientAborted: boolean;
  finishedAt?: number;
}

/** A running fake upstream. */
export interface FakeUpstream {
  readonly provider: 'openai' | 'anthropic';
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** What the official SDK takes as `baseURL` (`…/v1` for OpenAI, the bare URL for Anthropic). */
  readonly baseURL: string;
  readonly port: number;
  readonly apiKey: string;
  /** Requests received, in arrival order (the latest `maxRecordedRequests`). */
  readonly requests: readonly RecordedRequest[];
  /** Faults not yet consumed. */
  readonly pendingFaults: UpstreamFault[];
  /** Replaces the fault plan. */
  setFaults(faults: readonly UpstreamFault[]): void;
  /** Removes every planned fault. */
  clearFaults(): void;
  /** Changes the latency and chunk delay for later requests. */
  setTiming(timing: { latencyMs?: number; chunkDelayMs?: number }): void;
  /** Forgets the recorded requests. */
  clearRequests(): void;
  /** Resolves with the first recorded request that satisfies `predicate` (now or later); rejects after `timeoutMs`. */
  waitForRequest(predicate: (request: RecordedRequest) => boolean, timeoutMs?: number): Promise<RecordedRequest>;
  /** Stops listening and drops every open connection. */
  close(): Promise<void>;
}

/** The errors a dialect can render, each in its provider's shape. */
export type UpstreamErrorKind =
  | 'authentication'
  | 'rate_limit'
  | 'server_error'
  | 'unavailable'
  | 'overloaded'
  | 'bad_request'
  | 'not_found';

/** An error response: status, provider-shaped body, extra headers. */
export interface UpstreamErrorResponse {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** One server-sent event; `event` is omitted for OpenAI's data-only stream. */
export interface SseMessage {
  readonly event?: string;
  readonly data: string;
}

/** A rendered generation answer. */
export type RenderedAnswer =
  | { readonly kind: 'json'; readonly body: unknown }
  | { readonly kind: 'events'; readonly events: readonly SseMessage[] };

/** What a dialect makes of one request. */
export type RouteResult =
  | { readonly type: 'not_found' }
  | { readonly type: 'invalid'; readonly message: string }
  | { readonly type: 'json'; readonly body: unknown }
  | { readonly type: 'generation'; readonly model: string; readonly render: () => RenderedAnswer };

/** Per-request helpers a dialect may use. */
export interface DialectContext {
  readonly options: FakeUpstreamOptions;
  /** Epoch milliseconds. */
  now(): number;
  /** A fresh id with `prefix`. */
  nextId(prefix: string): string;
}

/** The provider-specific half of a fake upstream: wire formats and routes. */
export interface UpstreamDialect {
  readonly provider: 'openai' | 'anthropic';
  /** Appended to the URL to make the SDK's `baseURL`. */
  readonly basePath: string;
  readonly requestIdHeader: string;
  isAuthorized(headers: IncomingHttpHeaders, apiKey: string): boolean;
  errorResponse(kind: UpstreamErrorKind, message?: string, retryAfterSeconds?: number): UpstreamErrorResponse;
  /** The line a `malformed_sse` fault inserts into a stream. */
  readonly malformedEvent: SseMessage;
  route(method: string, path: string, body: unknown, context: DialectContext): RouteResult;
}

const MAX_BODY_BYTES = 32 * 1024 * 1024;
const DEFAULT_API_KEY = 'test-key';

/** Starts a fake upstream speaking `dialect`; the provider fakes wrap this. */
export async function startFakeUpstream(dialect: UpstreamDialect, options: FakeUpstreamOptions = {}): Promise<FakeUpstream> {
  const apiKey = options.apiKey ?? DEFAULT_API_KEY;
  const plan = new UpstreamFaultPlan(options.faults);
  const maxRecorded = options.maxRecordedRequests ?? 10_000;
  const timing = { latencyMs: options.latencyMs ?? 0, chunkDelayMs: options.chunkDelayMs ?? 0 };
  let requests: RecordedRequest[] = [];
  const listeners = new Set<() => void>();
  const sockets = new Set<Socket>();
  let seq = 0;
  let idCounter = 0;
  const context: DialectContext = {
    options,
    now: () => (options.now ?? Date.now)(),
    nextId: (prefix) => `${prefix}${(++idCounter).toString(36).padStart(8, '0')}fake`,
  };
  const notify = () => {
    for (const listener of [...listeners]) listener();
  };

  const server = createServer((req, res) => {
    const record: RecordedRequest = {
      seq: ++seq,
      method: req.method ?? 'GET',
      path: (req.url ?? '/').split('?')[0] ?? '/',
      headers: req.headers,
      body: undefined,
      receivedAt: Date.now(),
      faults: [],
      outcome: 'pending',
      clientAborted: false,
    };
    requests.push(record);
    if (requests.length > maxRecorded) requests.splice(0, requests.length - maxRecorded);
    const exchange = new UpstreamExchange(req, res, record, notify);
    res.setHeader(dialect.requestIdHeader, `req_${record.seq.toString().padStart(6, '0')}fake`);
    serveRequest(exchange).catch((error: unknown) => {
      if (!res.headersSent && !exchange.signal.aborted) {
        exchange.sendJson(dialect.errorResponse('server_error', `fake upstream failed: ${(error as Error).message}`));
      } else {
        exchange.cut('reset');
      }
    });
    notify();
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function serveRequest(exchange: UpstreamExchange): Promise<void> {
    const { record } = exchange;
    const raw = await exchange.readBody();
    if (raw === undefined) return;
    let parsed: unknown = raw.length > 0 ? raw : undefined;
    let bodyIsJson = raw.length === 0;
    if (raw.length > 0) {
      try {
        parsed = JSON.parse(raw);
        bodyIsJson = true;
      } catch {
        // Kept as text; POST routes answer 400 below.
      }
    }
    record.body = parsed;

    if (!dialect.isAuthorized(exchange.req.headers, apiKey)) {
      exchange.sendJson(dialect.errorResponse('authentication'));
      return;
    }
    if (!bodyIsJson) {
      exchange.sendJson(dialect.errorResponse('bad_request', 'The request body is not valid JSON.'));
      return;
    }
    const routed = dialect.route(record.method, record.path, parsed, context);
    switch (routed.type) {
      case 'not_found':
        exchange.sendJson(dialect.errorResponse('not_found', `Invalid URL (${record.method} ${record.path})`));
        return;
      case 'invalid':
        exchange.sendJson(dialect.errorResponse('bad_request', routed.message));
        return;
      case 'json':
        exchange.sendJson({ status: 200, body: routed.body });
        return;
      case 'generation':
        break;
    }

    let faults: ResolvedFaults;
    const header = exchange.req.headers[FAULT_HEADER];
    if (header !== undefined) {
      try {
        faults = resolveFaults(parseFaultHeader(Array.isArray(header) ? header.join(',') : header));
      } catch (error) {
        exchange.sendJson(dialect.errorResponse('bad_request', (error as Error).message));
        return;
      }
    } else {
      faults = plan.take(routed.model);
    }
    record.faults = faultKinds(faults);

    const firstByteDelay =
      timing.latencyMs + (faults.firstByteDelay ? (faults.firstByteDelay.delayMs ?? FAULT_DEFAULTS.slowFirstByteMs) : 0);
    if (!(await exchange.pause(firstByteDelay))) return;

    const outcome = faults.outcome;
    if (outcome) {
      const retryAfter = outcome.retryAfterSeconds ?? FAULT_DEFAULTS.retryAfterSeconds;
      switch (outcome.kind) {
        case 'connection_reset':
          exchange.cut('reset');
          return;
        case 'rate_limit':
          exchange.sendJson(dialect.errorResponse('rate_limit', outcome.message, retryAfter));
          return;
        case 'wrong_key':
          exchange.sendJson(dialect.errorResponse('authentication', outcome.message));
          return;
        case 'bad_request':
          exchange.sendJson(dialect.errorResponse('bad_request', outcome.message ?? 'Invalid request (injected by the fake upstream).'));
          return;
        case 'server_error':
        case 'unavailable':
        case 'overloaded':
          exchange.sendJson(dialect.errorResponse(outcome.kind, outcome.message));
          return;
      }
    }

    const answer = routed.render();
    const corruption = faults.corruption;
    if (answer.kind === 'json') {
      const text = JSON.stringify(answer.body);
      if (corruption?.kind === 'malformed_sse') {
        exchange.sendText(200, 'application/json', text.slice(0, Math.floor(text.length / 2)));
      } else if (corruption?.kind === 'stream_cut') {
        await exchange.sendPartial(200, 'application/json', text);
      } else {
        exchange.sendText(200, 'application/json', text);
      }
      return;
    }
    const chunkDelayMs =
      timing.chunkDelayMs + (faults.chunkDelay ? (faults.chunkDelay.delayMs ?? FAULT_DEFAULTS.slowStreamMs) : 0);
    await exchange.sendEvents(answer.events, { chunkDelayMs, corruption, malformedEvent: dialect.malformedEvent });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port, address } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  const url = `http://${host}:${port}`;

  return {
    provider: dialect.provider,
    url,
    baseURL: url + dialect.basePath,
    port,
    apiKey,
    get requests() {
      return requests;
    },
    get pendingFaults() {
      return plan.pending;
    },
    setFaults: (faults) => plan.set(faults),
    clearFaults: () => plan.clear(),
    setTiming: (next) => {
      if (next.latencyMs !== undefined) timing.latencyMs = next.latencyMs;
      if (next.chunkDelayMs !== undefined) timing.chunkDelayMs = next.chunkDelayMs;
    },
    clearRequests: () => {
      requests = [];
    },
    waitForRequest: (predicate, timeoutMs = 2000) =>
      new Promise<RecordedRequest>((resolve, reject) => {
        const check = () => {
          const found = requests.find(predicate);
          if (!found) return;
          listeners.delete(check);
          clearTimeout(timer);
          resolve(found);
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`no matching request within ${timeoutMs} ms (${requests.length} recorded)`));
        }, timeoutMs);
        listeners.add(check);
        check();
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        for (const socket of sockets) socket.destroy();
      }),
  };
}

/** One request/response pair, with the fault mechanics: pauses, cuts, partial bodies, event streams. */
class UpstreamExchange {
  readonly #abort = new AbortController();
  #serverCut = false;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly record: RecordedRequest,
    private readonly notify: () => void,
  ) {
    res.on('close', () => {
      if (res.writableFinished) {
        record.outcome = 'completed';
      } else if (this.#serverCut) {
        record.outcome = 'server_reset';
      } else {
        record.outcome = 'client_closed';
        record.clientAborted = true;
      }
      record.finishedAt = Date.now();
      this.#abort.abort();
      notify();
    });
  }

  /** Aborted once the connection is gone. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /** The body as text, or undefined when the client went away first. */
  readBody(): Promise<string | undefined> {
    return new Promise((resolve) => {
      const chunks: Buffer[] = [];
      let size = 0;
      this.req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) {
          this.cut('reset');
          resolve(undefined);
          return;
        }
        chunks.push(chunk);
      });
      this.req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      this.req.on('error', () => resolve(undefined));
      this.req.on('close', () => resolve(undefined));
    });
  }

  /** Waits `ms`; false when the connection closed meanwhile. */
  async pause(ms: number): Promise<boolean> {
    if (ms > 0) {
      try {
        await sleep(ms, undefined, { signal: this.#abort.signal });
      } catch {
        return false;
      }
    }
    return !this.#abort.signal.aborted;
  }

  sendJson(response: UpstreamErrorResponse): void {
    for (const [name, value] of Object.entries(response.headers ?? {})) this.res.setHeader(name, value);
    this.sendText(response.status, 'application/json', JSON.stringify(response.body));
  }

  sendText(status: number, contentType: string, text: string): void {
    if (this.#abort.signal.aborted) return;
    this.record.status = status;
    this.res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
    this.res.end(text);
  }

  /** Announces the full length, sends half the body, then closes the connection. */
  async sendPartial(status: number, contentType: string, text: string): Promise<void> {
    this.record.status = status;
    this.res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
    await this.#write(text.slice(0, Math.floor(text.length / 2)));
    this.cut('close');
  }

  /** Streams `events` as server-sent events, applying chunk delay and stream corruption. */
  async sendEvents(
    events: readonly SseMessage[],
    shaping: { chunkDelayMs: number; corruption?: UpstreamFault; malformedEvent: SseMessage },
  ): Promise<void> {
    if (this.#abort.signal.aborted) return;
    const { corruption } = shaping;
    // A cut never lets the final event ([DONE] / message_stop) through.
    const cutAt =
      corruption?.kind === 'stream_cut'
        ? Math.min(corruption.afterChunks ?? FAULT_DEFAULTS.streamCutAfterChunks, events.length - 1)
        : -1;
    const malformedAt =
      corruption?.kind === 'malformed_sse'
        ? Math.min(corruption.afterChunks ?? FAULT_DEFAULTS.malformedAfterChunks, events.length - 1)
        : -1;
    this.record.status = 200;
    this.res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    let pending: Promise<void> = Promise.resolve();
    for (const [index, event] of events.entries()) {
      if (index > 0 && !(await this.pause(shaping.chunkDelayMs))) return;
      if (index === cutAt) {
        if (index === 0) this.res.flushHeaders();
        await pending;
        this.cut('close');
        return;
      }
      if (index === malformedAt) pending = this.#write(encodeSse(shaping.malformedEvent));
      pending = this.#write(encodeSse(event));
    }
    await pending;
    if (!this.#abort.signal.aborted) this.res.end();
  }

  /** Ends the connection from the server side: `reset` sends a TCP RST, `close` a FIN after pending data. */
  cut(how: 'reset' | 'close'): void {
    this.#serverCut = true;
    const socket = this.req.socket;
    if (how === 'reset') socket.resetAndDestroy();
    else socket.destroySoon();
  }

  #write(text: string): Promise<void> {
    if (this.#abort.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => this.res.write(text, () => resolve()));
  }
}

/** Encodes one server-sent event. */
export function encodeSse(message: SseMessage): string {
  return (message.event !== undefined ? `event: ${message.event}\n` : '') + `data: ${message.data}\n\n`;
}
