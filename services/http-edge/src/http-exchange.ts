import type { IncomingMessage, ServerResponse } from 'node:http';
import { EdgeRequestError } from './translate/edge-request-error';

/** The path of a request URL, without its query string. */
export function requestPath(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const query = url.indexOf('?');
  return query < 0 ? url : url.slice(0, query);
}

// JSON text must be UTF-8 (RFC 8259); decoding strictly keeps U+FFFD substitutes out of prompts.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads a JSON request body, at most `maxBytes`. Throws an EdgeRequestError: `too_large` (413)
 * past the limit, `invalid_request` (400) when the body is not UTF-8 or not JSON.
 */
export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    req.resume(); // drain, so the connection can carry the 413
    throw new EdgeRequestError(`The request body is ${declared} bytes; the limit is ${maxBytes}.`, undefined, 'too_large');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      req.resume();
      throw new EdgeRequestError(`The request body is over the limit of ${maxBytes} bytes.`, undefined, 'too_large');
    }
    chunks.push(chunk);
  }
  let text: string;
  try {
    text = strictUtf8.decode(Buffer.concat(chunks));
  } catch {
    throw new EdgeRequestError('The request body is not valid UTF-8; JSON must be sent as UTF-8.');
  }
  if (text.trim() === '') throw new EdgeRequestError('The request body is empty; send a JSON object.');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new EdgeRequestError('We could not parse the JSON body of your request: it is not valid JSON.');
  }
}

/** Sends a JSON response unless the caller has gone. */
export function sendJson(res: ServerResponse, status: number, headers: Record<string, string>, body: unknown): void {
  if (res.destroyed || res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Writes server-sent events with backpressure. */
export interface SseWriter {
  /** Sends the 200 and the event-stream headers. */
  open(headers: Record<string, string>): void;
  /** Writes one event (`event:` line only when named); resolves when the socket can take more. */
  send(data: string, event?: string): Promise<void>;
  /** Ends the response. */
  end(): void;
}

/** An SSE writer over a response. Writes after the caller has gone are dropped. */
export function createSseWriter(res: ServerResponse): SseWriter {
  return {
    open(headers) {
      res.writeHead(200, {
        ...headers,
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'x-accel-buffering': 'no', // proxies such as nginx must not buffer a stream
      });
    },
    async send(data, event) {
      if (res.destroyed) return;
      const frame = event ? `event: ${event}\ndata: ${data}\n\n` : `data: ${data}\n\n`;
      if (!res.write(frame)) {
        await new Promise<void>((resolve) => {
          const done = () => {
            res.off('drain', done);
            res.off('close', done);
            resolve();
          };
          res.on('drain', done);
          res.on('close', done);
        });
      }
    },
    end() {
      if (!res.destroyed) res.end();
    },
  };
}

/**
 * An AbortSignal that fires when the caller goes away before the response is complete, so the
 * router call (and through it the provider call) is cancelled instead of running on for nobody.
 */
export function callerGoneSignal(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}
