import { z } from 'zod';

/**
 * The edge's config (file + `SWITCHYARD_*` environment overrides, see @switchyard/config):
 *
 * ```yaml
 * listen: 0.0.0.0:8080
 * router: { address: router:50051, requestTimeoutMs: 120000 }
 * ```
 * e.g. `SWITCHYARD_ROUTER__ADDRESS=127.0.0.1:50051 SWITCHYARD_LISTEN=127.0.0.1:8080`.
 */
export const httpEdgeConfigSchema = z.object({
  /** `host:port` to serve HTTP on. */
  listen: z.string().min(3).default('127.0.0.1:0'),
  router: z.object({
    /** The router's gRPC address, `host:port` (or any grpc-js target, e.g. `dns:///router:50051`). */
    address: z.string().min(1),
    /** Upper bound on one generation call, ms (callers may ask for less). */
    requestTimeoutMs: z.number().int().positive().default(120_000),
    /** Deadline of a models-list call, ms. */
    listModelsTimeoutMs: z.number().int().positive().default(10_000),
    /** TLS to the router (PEM files); with certFile/keyFile the edge presents a client certificate (mutual TLS). Plaintext when absent. */
    tls: z
      .object({
        caFile: z.string().min(1),
        certFile: z.string().min(1).optional(),
        keyFile: z.string().min(1).optional(),
        /** The name in the router's certificate, when it differs from the address's host. */
        serverName: z.string().min(1).optional(),
      })
      .optional(),
  }),
  /** Largest request body, bytes; keep it at or under the router's gRPC message limit. */
  maxBodyBytes: z.number().int().positive().default(16 * 1024 * 1024),
  /** How long shutdown waits for in-flight requests, ms. */
  drainGraceMs: z.number().int().nonnegative().default(10_000),
  /** pino level. */
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/** The parsed, frozen edge config. */
export type HttpEdgeConfig = z.infer<typeof httpEdgeConfigSchema>;
