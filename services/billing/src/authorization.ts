import type { Principal, ServerCallContext } from '@switchyard/sdk';
import { AccessDeniedError } from './billing-errors';

/**
 * Who may do what in billing:
 * - `admin`: everything, for every team (manages teams, budgets and prices).
 * - `service` (the router): records usage, holds and settles budget, reads budgets, prices and teams, for any team.
 * - `team`: reads only its own team's budgets, spend, savings and capacity shares, and the prices.
 * Listing budgets is for people (admins, and teams their own): the router reads the one budget it needs.
 */
export type BillingAction = 'record-usage' | 'hold-budget' | 'manage' | 'read-budget' | 'list-budgets' | 'read-spend' | 'read-prices' | 'read-teams';

const allowed: Record<Principal['role'], ReadonlySet<BillingAction>> = {
  admin: new Set(['record-usage', 'hold-budget', 'manage', 'read-budget', 'list-budgets', 'read-spend', 'read-prices', 'read-teams']),
  service: new Set(['record-usage', 'hold-budget', 'read-budget', 'read-prices', 'read-teams']),
  team: new Set(['read-budget', 'list-budgets', 'read-spend', 'read-prices', 'read-teams']),
};

/** The authenticated caller (the server authenticates every call; this guards against a misconfigured one). */
export function principalOf(context: ServerCallContext): Principal {
  if (!context.principal) throw new AccessDeniedError('this call is not authenticated');
  return context.principal;
}

/** Refuses an action the caller's role does not allow. */
export function authorize(principal: Principal, action: BillingAction): void {
  if (!allowed[principal.role]?.has(action)) throw new AccessDeniedError(`a ${principal.role} key may not ${action.replace('-', ' ')}`);
}

/**
 * The team a read is limited to: a team key reads only its own team (an empty request means its
 * own; another team is refused); admin and service keys read the requested team, or every team
 * when none is named (undefined).
 */
export function readableTeam(principal: Principal, requestedTeamId: string): string | undefined {
  if (principal.role !== 'team') return requestedTeamId || undefined;
  if (requestedTeamId && requestedTeamId !== principal.teamId) {
    throw new AccessDeniedError(`a key of team ${principal.teamId} may not read team ${requestedTeamId}`);
  }
  return principal.teamId;
}
