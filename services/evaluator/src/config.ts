import { loadConfig } from '@switchyard/config';
import { z } from 'zod';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The evaluator's config (YAML file named by `SWITCHYARD_CONFIG_FILE`, then `SWITCHYARD_*`
 * environment overrides, e.g. `SWITCHYARD_MODELS__ROUTER__ADDRESS`; `DATABASE_URL` wins for
 * `database.url`):
 *
 * ```yaml
 * listen: 127.0.0.1:50080
 * database: { dataDir: .switchyard/data/evaluator }        # or url: postgres://...
 * models:
 *   router: { address: 127.0.0.1:50051, apiKey: sy_... }   # a key of the evaluation team
 *   providers: { openai: 127.0.0.1:50061 }                  # direct adapters, for pinned runs
 * judge: { model: openai/gpt-4o }
 * online: { method: judge, demoteBelow: 0.5 }
 * ```
 */
export const evaluatorConfigSchema = z.object({
  /** `host:port` to serve gRPC on; port 0 picks a free one (printed in the listening line). */
  listen: z.string().default('127.0.0.1:0'),
  database: z
    .object({
      /** A PostgreSQL connection string; when set, the evaluator uses that server instead of PGlite. */
      url: z.string().min(1).optional(),
      /** PGlite's data folder when no URL is set (one process at a time). */
      dataDir: z.string().min(1).default('.switchyard/data/evaluator'),
      /** PostgreSQL pool size per replica. */
      maxConnections: z.number().int().positive().default(5),
    })
    .prefault({}),
  suites: z
    .object({
      /** Folders of extra suite files (`<name>.v<version>.jsonl`), besides the shipped ones. */
      folders: z.array(z.string().min(1)).default([]),
      /** Refuse to start when a suite file is rejected (default: log it and serve the others). */
      strict: z.boolean().default(false),
    })
    .prefault({}),
  models: z
    .object({
      /** How models under test are called: through the router, straight to a provider adapter, or auto (router when configured). */
      caller: z.enum(['auto', 'router', 'provider']).default('auto'),
      router: z
        .object({
          /** The router's `host:port`. */
          address: z.string().min(1).optional(),
          /** An API key of the evaluation team: run, judge and shadow calls are billed to it. */
          apiKey: z.string().min(1).optional(),
        })
        .prefault({}),
      /** ProviderService addresses by provider name, for direct (pinned) calls. */
      providers: z.record(z.string(), z.string().min(1)).default({}),
      /** Provider of bare model ids the price catalog does not know, e.g. `{ my-model: vllm }`. */
      aliases: z.record(z.string(), z.string().min(1)).default({}),
    })
    .prefault({}),
  judge: z
    .object({
      /** The pinned judge model; empty disables llm_judge scoring (those items are recorded as errors). */
      model: z.string().default('openai/gpt-4o'),
      /** Deadline of one judge call, ms. */
      timeoutMs: z.number().int().positive().default(30_000),
    })
    .prefault({}),
  online: z
    .object({
      /** How sampled live exchanges are scored: by the judge, or against a reference model's reply (shadow). */
      method: z.enum(['judge', 'shadow']).default('judge'),
      /** The shadow's reference model. */
      referenceModel: z.string().default('openai/gpt-4o'),
      /** Deadline of one shadow call, ms. */
      shadowTimeoutMs: z.number().int().positive().default(60_000),
      /** Exchanges queued at most; more are dropped and counted. */
      queueCapacity: z.number().int().positive().default(1000),
      /** Exchanges scored concurrently. */
      workers: z.number().int().positive().max(64).default(2),
      /** Teams whose exchanges may be scored; `*` for all (the router applies each team's content-capture policy first). */
      allowTeams: z.array(z.string().min(1)).default(['*']),
      /** The evaluation team: its own traffic is never scored online. */
      evaluationTeam: z.string().min(1).default('eval'),
      /** Online mean score below which a model is demoted (when the upper end of its 95% CI is below it). */
      demoteBelow: z.number().min(0).max(1).default(0.5),
      /** Per-model thresholds, by "provider/model". */
      thresholds: z.record(z.string(), z.number().min(0).max(1)).default({}),
      /** Online samples needed before a model can be demoted. */
      minSamples: z.number().int().positive().default(30),
      /** Online scores count for this long, ms (default 7 days). */
      windowMs: z.number().int().positive().default(7 * DAY_MS),
    })
    .prefault({}),
  runs: z
    .object({
      /** How long a run's claim lasts without a heartbeat, ms; another replica takes over an expired one. */
      leaseMs: z.number().int().positive().default(30_000),
      /** Attempts per model call when the upstream is unavailable or rate limited. */
      maxAttempts: z.number().int().positive().max(10).default(3),
      /** First retry pause, ms. */
      retryBaseMs: z.number().int().nonnegative().default(500),
      /** Concurrency when StartRun gives none. */
      defaultConcurrency: z.number().int().positive().max(64).default(4),
      /** Item deadline when StartRun gives none, ms. */
      defaultItemTimeoutMs: z.number().int().positive().default(60_000),
      /** Largest share of a candidate's items that may fail before validation fails. */
      maxErrorRate: z.number().min(0).max(1).default(0.1),
    })
    .prefault({}),
  auth: z
    .object({
      /** grpc-kit key file; when set, every call needs a key (writes an admin or service key). Unset: no authentication (loopback or mesh only). */
      apiKeysFile: z.string().min(1).optional(),
    })
    .prefault({}),
  /** How long shutdown waits for in-flight calls, ms. */
  drainGraceMs: z.number().int().nonnegative().default(10_000),
  /** pino log level. */
  logLevel: z.string().default('info'),
});

/** The parsed, frozen config. */
export type EvaluatorConfig = z.infer<typeof evaluatorConfigSchema>;

/** Reads the evaluator's config from an environment (only main.ts passes `process.env`). */
export function loadEvaluatorConfig(env: Record<string, string | undefined>): Readonly<EvaluatorConfig> {
  const databaseUrl = env.DATABASE_URL || env.SWITCHYARD_DATABASE__URL;
  return loadConfig(evaluatorConfigSchema, {
    file: env.SWITCHYARD_CONFIG_FILE || undefined,
    env: { ...env, ...(databaseUrl ? { SWITCHYARD_DATABASE__URL: databaseUrl } : {}) },
    envPrefix: 'SWITCHYARD_',
  });
}
