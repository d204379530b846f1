import { billing } from '@switchyard/contracts';
import type { Database } from '@switchyard/database';
import { serverCredentialsFromFiles, startGrpcServer, type RunningGrpcServer, type ServerTlsFiles } from '@switchyard/grpc-kit';
import type { PriceCatalog } from '@switchyard/pricing';
import type { Principal, ServerCallContext, BillingServiceImplementation } from '@switchyard/sdk';
import type { Logger } from 'pino';
import { createBillingService } from './billing-service';
import { createBudgets, type Budgets } from './budgets';
import { createUsageLedger, type UsageLedger } from './ledger';
import { applyMigrations } from './migrations/migration-runner';
import { createPriceBook, type PriceBook } from './price-book';
import { createBillingQueries, type BillingQueries } from './queries';
import { createTeamDirectory, type TeamDirectory, type TeamRecord } from './teams';

/** Options for createBilling. */
export interface BillingOptions {
  database: Database;
  /** Clock, for tests. */
  now?: () => Date;
  /** Hold lifetime when a reservation gives none, ms. */
  defaultReservationTtlMs?: number;
  /** How long a cached team is trusted, ms. */
  teamCacheTtlMs?: number;
}

/** Billing's domain objects over one database, and the gRPC implementation over them. */
export interface Billing {
  database: Database;
  priceBook: PriceBook;
  teams: TeamDirectory;
  ledger: UsageLedger;
  budgets: Budgets;
  queries: BillingQueries;
  service: BillingServiceImplementation;
}

/** Wires billing's parts together (no I/O happens here). */
export function createBilling(options: BillingOptions): Billing {
  const { database } = options;
  const now = options.now ?? (() => new Date());
  const priceBook = createPriceBook({ database });
  const teams = createTeamDirectory({
    database,
    cacheTtlMs: options.teamCacheTtlMs,
    now: () => now().getTime(),
    checkBaselineModel: async (baselineModel) => {
      const slash = baselineModel.indexOf('/');
      const catalog = await priceBook.current();
      return catalog.priceAt({ provider: baselineModel.slice(0, slash), model: baselineModel.slice(slash + 1) }, now())
        ? undefined
        : `${baselineModel} has no price now; add one with UpsertPrices first`;
    },
  });
  const ledger = createUsageLedger({ database, priceBook, teams, now });
  const budgets = createBudgets({ database, teams, now, defaultTtlMs: options.defaultReservationTtlMs });
  const queries = createBillingQueries({ database, priceBook, now });
  const service = createBillingService({ ledger, budgets, queries, priceBook, teams });
  return { database, priceBook, teams, ledger, budgets, queries, service };
}

/** Options for prepareBillingDatabase. */
export interface PrepareOptions {
  /** Seed the price table from this catalog (entries the database lacks). */
  seedCatalog?: PriceCatalog;
  /** Teams to create or update. */
  bootstrapTeams?: readonly TeamRecord[];
  logger?: Logger;
}

/** Applies migrations, seeds prices and bootstraps teams. Safe to run from several replicas at once. */
export async function prepareBillingDatabase(app: Billing, options: PrepareOptions = {}): Promise<void> {
  const applied = await applyMigrations(app.database);
  if (applied.length > 0) options.logger?.info({ migrations: applied }, 'applied database migrations');
  if (options.seedCatalog) {
    const seeded = await app.priceBook.seed(options.seedCatalog);
    if (seeded.inserted > 0) options.logger?.info({ inserted: seeded.inserted, catalog: options.seedCatalog.version }, 'seeded prices from the shipped catalog');
    if (seeded.cacheWritePricesAdded > 0) options.logger?.info({ completed: seeded.cacheWritePricesAdded, catalog: options.seedCatalog.version }, 'added cache-write prices from the shipped catalog');
    if (seeded.skipped.length > 0) options.logger?.warn({ skipped: seeded.skipped }, 'shipped prices skipped: they conflict with prices already stored');
  }
  for (const team of options.bootstrapTeams ?? []) await app.teams.upsert(team);
}

/** Options for startBillingServer. */
export interface BillingServerOptions {
  app: Billing;
  /** `host:port`; port 0 picks one. */
  address: string;
  /** Authenticates every call (grpc-kit's API-key authenticator in production). */
  authenticate: (context: ServerCallContext) => Principal | undefined | Promise<Principal | undefined>;
  logger?: Logger;
  drainGraceMs?: number;
  /** TLS for the port (mutual TLS when it names a client CA); plaintext when absent. */
  tls?: ServerTlsFiles;
}

/** Serves BillingService over gRPC (with health, reflection and graceful drain from grpc-kit). */
export function startBillingServer(options: BillingServerOptions): Promise<RunningGrpcServer> {
  return startGrpcServer({
    name: 'billing',
    address: options.address,
    errorDomain: 'billing.switchyard.dev',
    services: [{ service: billing.BillingService, implementation: options.app.service }],
    authenticate: options.authenticate,
    logger: options.logger,
    drainGraceMs: options.drainGraceMs,
    ...(options.tls ? { credentials: serverCredentialsFromFiles(options.tls) } : {}),
  });
}
