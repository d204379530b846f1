/**
 * The `fetch` an adapter gives its vendor SDK (`new OpenAI({ fetch })`, `new Anthropic({ fetch })`):
 * requests go out through node:http/https with keep-alive agents instead of Node's built-in fetch
 * (undici + WHATWG streams). Measured on the request path (docs/benchmarks.md), it halves the client
 * CPU of a provider call and sends headers and body in one write. The SDK still builds the request,
 * parses the response and maps errors; only the transport changes.
 *
 * What it supports is what provider SDKs send: string or byte bodies (anything else goes to the
 * built-in fetch), JSON and SSE responses, gzip/deflate/br decoding, AbortSignal before and during
 * the response. A complete reply comes back as a {@link BufferedResponse} (status, headers, text,
 * json, bytes, arrayBuffer, blob, clone, body), an event stream as a real Response. It does not follow redirects (provider APIs do not redirect; a 3xx reaches the SDK
 * as an error status) and does not read proxy variables (neither does Node's fetch).
 *
 * Each request it sends is traced here: the upstream `POST` span, a child of the adapter's `chat`
 * span, lasts until the body has been read (an event stream's until it ends), and the request carries
 * its `traceparent` (see startHttpClientSpan; the telemetry bootstrap leaves outgoing node:http alone).
 */
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { startHttpClientSpan } from '@switchyard/telemetry';
import type { Socket } from 'node:net';

/** Options of {@link createUpstreamFetch}. */
export interface UpstreamFetchOptions {
  /** Most connections per upstream host (default 256); more requests than this wait for a free one. */
  maxSockets?: number;
  /** The fetch for bodies this one does not send (streams, form data); default the global fetch. */
  fallback?: typeof fetch;
}

/** A fetch and the agents it owns. */
export interface UpstreamFetch {
  fetch: typeof fetch;
  /** Closes idle keep-alive connections (at shutdown). */
  close(): void;
}

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error && reason.name === 'AbortError' ? reason : new DOMException('This operation was aborted', 'AbortError');
}

/** The request headers as a plain object, whatever form the SDK used. */
function headerObject(headers: RequestInit['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  if (headers instanceof Headers) headers.forEach((value, key) => (out[key] = value));
  else if (Array.isArray(headers)) for (const [key = '', value = ''] of headers) out[key.toLowerCase()] = value;
  else for (const [key, value] of Object.entries(headers)) if (value !== undefined) out[key.toLowerCase()] = String(value);
  return out;
}

function responseHeaders(message: IncomingMessage): Headers {
  const headers = new Headers();
  const raw = message.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i] ?? '', raw[i + 1] ?? '');
  return headers;
}

/** The body stream, decoded when the server compressed it. */
function decodedBody(message: IncomingMessage): NodeJS.ReadableStream & { destroy(error?: Error): void } {
  const encoding = (message.headers['content-encoding'] ?? '').toLowerCase();
  const decoder =
    encoding === 'gzip' || encoding === 'x-gzip' ? createGunzip() : encoding === 'deflate' ? createInflate() : encoding === 'br' ? createBrotliDecompress() : undefined;
  if (!decoder) return message;
  // pipe() does not forward errors: a connection lost mid-body must fail the decoded stream too.
  message.once('error', (error) => decoder.destroy(error));
  return message.pipe(decoder);
}

/**
 * A WHATWG stream over a Node stream, with backpressure (reading pauses while the consumer is behind).
 * `done` is called once: when the stream ends, fails (with the error) or is cancelled by its reader.
 */
function webStream(
  source: NodeJS.ReadableStream & { destroy(error?: Error): void },
  signal: AbortSignal | null | undefined,
  done: (error?: unknown) => void,
): ReadableStream<Uint8Array> {
  // Once the stream is closed, errored or cancelled, later events from the socket are ignored.
  let settled = false;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      source.on('data', (chunk: Buffer) => {
        if (settled) return;
        controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        if ((controller.desiredSize ?? 1) <= 0) source.pause();
      });
      source.once('end', () => {
        if (settled) return;
        settled = true;
        controller.close();
        done();
      });
      source.once('error', (error: Error) => {
        if (settled) return;
        settled = true;
        const failure = signal?.aborted ? abortError(signal) : error;
        controller.error(failure);
        done(failure);
      });
    },
    pull() {
      source.resume();
    },
    cancel() {
      settled = true;
      source.destroy();
      done(new DOMException('the reader cancelled the response body', 'AbortError'));
    },
  });
}

/**
 * A complete (non-streamed) reply: the parts of the WHATWG Response that SDKs read, over one buffer.
 * Building a real Response and reading it back through WHATWG streams costs about as much CPU as
 * the whole node:http exchange; SSE replies, read incrementally, stay real Responses.
 */
export class BufferedResponse {
  readonly ok: boolean;
  readonly redirected = false;
  readonly type = 'basic';
  private used = false;

  constructor(
    readonly status: number,
    readonly statusText: string,
    readonly headers: Headers,
    private readonly payload: Buffer,
    readonly url: string,
  ) {
    this.ok = status >= 200 && status < 300;
  }

  get bodyUsed(): boolean {
    return this.used;
  }

  /** The bytes as a one-chunk stream (SDKs touch it only to cancel an unread error body). */
  get body(): ReadableStream<Uint8Array> {
    const bytes = this.payload;
    return new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
        controller.close();
      },
    });
  }

  private consume(): Buffer {
    if (this.used) throw new TypeError('Body is unusable: Body has already been read');
    this.used = true;
    return this.payload;
  }

  async text(): Promise<string> {
    return this.consume().toString('utf8');
  }

  async json(): Promise<unknown> {
    return JSON.parse(this.consume().toString('utf8'));
  }

  async bytes(): Promise<Uint8Array> {
    return new Uint8Array(this.consume());
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = this.consume();
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }

  async blob(): Promise<Blob> {
    return new Blob([this.consume()], { type: this.headers.get('content-type') ?? '' });
  }

  clone(): BufferedResponse {
    if (this.used) throw new TypeError('Response.clone: Body has already been consumed.');
    return new BufferedResponse(this.status, this.statusText, this.headers, this.payload, this.url);
  }
}

/** Reads a whole (small) body into one buffer. */
function readAll(source: NodeJS.ReadableStream, signal: AbortSignal | null | undefined): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    source.on('data', (chunk: Buffer) => chunks.push(chunk));
    source.once('end', () => resolve(Buffer.concat(chunks)));
    source.once('error', (error: Error) => reject(signal?.aborted ? abortError(signal) : error));
  });
}

/**
 * How long an idle keep-alive connection is kept, ms: below the 5 s idle timeout of Node's HTTP server
 * (and of most proxies and load balancers, which are longer), so the client closes a quiet connection
 * before the server can. Otherwise a request sent just as the server closes it fails with ECONNRESET —
 * and it cannot be retried safely, since the server may have read it.
 */
export const UPSTREAM_IDLE_SOCKET_MS = 4000;

/** Makes an agent close its free sockets after UPSTREAM_IDLE_SOCKET_MS (Node's agent destroys a free socket on timeout). */
function idleClosing<A extends http.Agent>(agent: A): A {
  const keepSocketAlive = agent.keepSocketAlive.bind(agent);
  const reuseSocket = agent.reuseSocket.bind(agent);
  // Node's agent reads keepSocketAlive's boolean (false: close the socket), though @types/node says void.
  agent.keepSocketAlive = ((socket: Socket) => {
    const kept = (keepSocketAlive(socket) as unknown) !== false;
    if (kept) socket.setTimeout(UPSTREAM_IDLE_SOCKET_MS);
    return kept;
  }) as unknown as A['keepSocketAlive'];
  agent.reuseSocket = ((socket: Socket, request: http.ClientRequest) => {
    socket.setTimeout(0); // in use: the request's own deadline governs it
    reuseSocket(socket, request);
  }) as unknown as A['reuseSocket'];
  return agent;
}

/**
 * Creates a fetch over keep-alive node:http/https agents for a vendor SDK. Errors look like the
 * built-in fetch's (`TypeError: fetch failed` with the socket error as `cause`; an aborted request
 * rejects with the signal's AbortError), so the SDK maps them the same way.
 */
export function createUpstreamFetch(options: UpstreamFetchOptions = {}): UpstreamFetch {
  const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 256, scheduling: 'lifo' as const };
  const agents = { 'http:': idleClosing(new http.Agent(agentOptions)), 'https:': idleClosing(new https.Agent(agentOptions)) };
  const fallback = options.fallback ?? globalThis.fetch;

  const upstreamFetch = ((input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const body = init.body;
    const sendable = body === undefined || body === null || typeof body === 'string' || body instanceof Uint8Array;
    if (!sendable || input instanceof Request) return fallback(input, init);
    const url = input instanceof URL ? input : new URL(input);
    const agent = agents[url.protocol as keyof typeof agents];
    if (!agent) return fallback(input, init);
    const signal = init.signal;
    if (signal?.aborted) return Promise.reject(abortError(signal));

    return new Promise<Response>((resolve, reject) => {
      const method = init.method ?? 'GET';
      const span = startHttpClientSpan(method, url);
      const headers = headerObject(init.headers);
      span.inject(headers);
      if (body !== undefined && body !== null) headers['content-length'] = String(typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength);
      const request = (url.protocol === 'https:' ? https : http).request(
        { agent, method, hostname: url.hostname, port: url.port, path: url.pathname + url.search, headers },
        (message) => {
          const status = message.statusCode ?? 0;
          span.setResponseStatus(status);
          const init = { status, statusText: message.statusMessage ?? '', headers: responseHeaders(message) };
          const source = decodedBody(message);
          // A body-less status (204, 304) cannot carry a body in a Response.
          if (status === 204 || status === 304 || init.headers.get('content-length') === '0') {
            message.resume();
            span.end();
            return resolve(new Response(null, init));
          }
          if ((message.headers['content-type'] ?? '').includes('text/event-stream')) return resolve(new Response(webStream(source, signal, (error) => span.end(error)), init));
          readAll(source, signal).then(
            (bytes) => {
              span.end();
              resolve(new BufferedResponse(status, init.statusText, init.headers, bytes, url.href) as unknown as Response);
            },
            (error: unknown) => {
              span.end(error);
              reject(error);
            },
          );
        },
      );
      const onAbort = () => signal && request.destroy(abortError(signal));
      signal?.addEventListener('abort', onAbort, { once: true });
      request.once('close', () => signal?.removeEventListener('abort', onAbort));
      request.once('error', (error: Error) => {
        if (signal?.aborted) {
          const aborted = abortError(signal);
          span.end(aborted);
          return reject(aborted);
        }
        span.end(error);
        reject(new TypeError('fetch failed', { cause: error }));
      });
      request.end(body ?? undefined);
    });
  }) as typeof fetch;

  return {
    fetch: upstreamFetch,
    close: () => {
      agents['http:'].destroy();
      agents['https:'].destroy();
    },
  };
}
