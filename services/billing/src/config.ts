import { loadConfig } from '@switchyard/config';
import { z } from 'zod';
import { BASELINE_MODEL_PATTERN, TEAM_ID_PATTERN } from './teams';

/**
 * billing's config (YAML file named by `SWITCHYARD_CONFIG_FILE`, then `SWITCHYARD_*` environment
 * overrides; `DATABASE_URL` wins for `database.url`):
 *
 * ```yaml
 * listen: 127.0.0.1:50070
 * database: { url: postgres://billing@db:5432/billing }   # omit for embedded PGlite in database.dataDir
 * auth: { apiKeysFile: .switchyard/api-keys.json }
 * bootstrapTeams: [{ teamId: acme-search, displayName: Acme Search, baselineModel: openai/gpt-4o }]
 * tls: { certFile: billing.pem, keyFile: billing-key.pem, clientCaFile: ca.pem }   # optional; mTLS with clientCaFile
 * ```
 */
export const billingConfigSchema = z.object({
  /** `host:port` to serve gRPC on; port 0 picks a free one (printed in the listening line). */
  listen: z.string().default('127.0.0.1:0'),
  database: z
    .object({
      /** A PostgreSQL connection string; when set, billing uses that server instead of PGlite. */
      url: z.string().min(1).optional(),
      /** PGlite's data folder when no URL is set. */
      dataDir: z.string().min(1).default('.switchyard/data/billing'),
      /** PostgreSQL pool size per replica. */
      maxConnections: z.number().int().positive().default(10),
    })
    .prefault({}),
  auth: z
    .object({
      /** grpc-kit key file (sha256 hashes). Every call must present one of its keys. */
      apiKeysFile: z.string().min(1).default('.switchyard/api-keys.json'),
    })
    .prefault({}),
  /** Teams created (or updated) at start, for the local stack's convenience. */
  bootstrapTeams: z
    .array(
      z.object({
        teamId: z.string().regex(TEAM_ID_PATTERN),
        displayName: z.string().default(''),
        baselineModel: z.union([z.literal(''), z.string().regex(BASELINE_MODEL_PATTERN)]).default(''),
      }),
    )
    .default([]),
  /** Add the shipped price catalog's entries the database lacks, at start. */
  seedPrices: z.boolean().default(true),
  reservations: z
    .object({
      /** Hold lifetime when ReserveBudget gives no ttl, ms. */
      defaultTtlMs: z.number().int().positive().default(600_000),
      /** How often expired holds are released in the background, ms (they are also released lazily). */
      sweepIntervalMs: z.number().int().positive().default(30_000),
    })
    .prefault({}),
  /**
   * TLS for the gRPC port (PEM files); with `clientCaFile` callers must present a client certificate
   * signed by that CA (mutual TLS, e.g. from the router). Plaintext when absent. API keys are still required.
   */
  tls: z
    .object({
      /** billing's certificate chain. */
      certFile: z.string().min(1),
      /** billing's private key. */
      keyFile: z.string().min(1),
      /** CA bundle client certificates must chain to; set it to require them. */
      clientCaFile: z.string().min(1).optional(),
    })
    .optional(),
  /** How long shutdown waits for in-flight calls, ms. */
  drainGraceMs: z.number().int().nonnegative().default(10_000),
  /** pino log level. */
  logLevel: z.string().default('info'),
  /** The file this config came from (informational). */
  configFile: z.string().optional(),
});

/** The parsed, frozen config. */
export type BillingConfig = z.infer<typeof billingConfigSchema>;

/** Reads billing's config from an environment (only main.ts passes `process.env`). */
export function loadBillingConfig(env: Record<string, string | undefined>): Readonly<BillingConfig> {
  const databaseUrl = env.DATABASE_URL || env.SWITCHYARD_DATABASE__URL;
  return loadConfig(billingConfigSchema, {
    file: env.SWITCHYARD_CONFIG_FILE || undefined,
    env: { ...env, ...(databaseUrl ? { SWITCHYARD_DATABASE__URL: databaseUrl } : {}) },
    envPrefix: 'SWITCHYARD_',
  });
}
