import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RouterServiceClient } from '@switchyard/sdk';
import type { Logger } from '@switchyard/grpc-kit';

/** The router calls the edge makes (the generated client satisfies it). */
export type EdgeRouterClient = Pick<RouterServiceClient, 'generate' | 'streamGenerate' | 'listModels'>;

/** Facts about one request for its access-log line. Never prompt or completion text. */
export interface RequestLog {
  api?: 'openai' | 'anthropic';
  request_id?: string;
  trace_id?: string;
  model?: string;
  route?: string;
  stream?: boolean;
  grpc_code?: string;
  error?: string;
}

/** What every route needs, built once by startHttpEdge. */
export interface EdgeRouteDependencies {
  readonly router: EdgeRouterClient;
  readonly logger: Logger;
  /** Upper bound on a generation call, ms. */
  readonly requestTimeoutMs: number;
  /** Deadline of a models-list call, ms. */
  readonly listModelsTimeoutMs: number;
  /** Largest request body, bytes. */
  readonly maxBodyBytes: number;
  /** Epoch ms. */
  readonly now: () => number;
  /** A fresh request id when the caller sent no idempotency key. */
  readonly newRequestId: () => string;
}

/** A route handler: answers one request; never throws. */
export type EdgeRoute = (req: IncomingMessage, res: ServerResponse, log: RequestLog) => Promise<void>;
