import { toJson as protoToJson } from '@bufbuild/protobuf';
import { billing, createBillingClient } from '@switchyard/sdk';
import { Option, type Command } from 'commander';
import { formatTable, formatUsd } from '../output';
import { CliError, resolveConnection } from '../stack-discovery';

interface BillingFlags {
  billing?: string;
  apiKey?: string;
  json?: boolean;
  team?: string;
  project?: string;
  days?: string;
  by?: string[];
}

const dimensions: Record<string, billing.SpendDimension> = {
  team: billing.SpendDimension.TEAM,
  project: billing.SpendDimension.PROJECT,
  model: billing.SpendDimension.MODEL,
  provider: billing.SpendDimension.PROVIDER,
  day: billing.SpendDimension.DAY,
};
const periods: Record<string, billing.BudgetPeriod> = { day: billing.BudgetPeriod.DAY, month: billing.BudgetPeriod.MONTH };
const periodName = (period: billing.BudgetPeriod) => billing.BudgetPeriod[period].toLowerCase();

function withBillingFlags(command: Command): Command {
  return command
    .option('--billing <address>', 'billing address HOST:PORT (default: .switchyard/stack.json)')
    .option('--api-key <key>', 'API key (default: SWITCHYARD_API_KEY, or the local admin key for admin commands)')
    .option('--json', 'print JSON for scripts');
}

function timeRange(days: string | undefined) {
  const count = Number(days ?? '30');
  if (!Number.isInteger(count) || count <= 0) throw new CliError(`--days must be a positive whole number, got "${days}"`);
  const end = Date.now();
  const start = end - count * 86_400_000;
  const ts = (ms: number) => ({ seconds: BigInt(Math.floor(ms / 1000)), nanos: 0 });
  return { startTime: ts(start), endTime: ts(end) };
}

async function withClient<T>(flags: BillingFlags, admin: boolean, run: (client: ReturnType<typeof createBillingClient>) => Promise<T>) {
  const connection = resolveConnection('billing', { address: flags.billing, apiKey: flags.apiKey, admin });
  const client = createBillingClient(connection.address, { apiKey: connection.apiKey });
  try {
    return await run(client);
  } finally {
    client.close();
  }
}

/** `spend`, `savings` and `budget`: billing from the command line. */
export function registerBillingCommands(program: Command): void {
  withBillingFlags(program.command('spend').description('spend grouped by team, project, model, provider or day'))
    .addOption(new Option('--by <dimension...>', 'group by').choices(Object.keys(dimensions)).default(['model']))
    .option('--team <team>', 'only this team (admins; teams see their own)')
    .option('--project <project>', 'only this project')
    .option('--days <n>', 'look back this many days', '30')
    .action((flags: BillingFlags) =>
      withClient(flags, !flags.apiKey && !process.env.SWITCHYARD_API_KEY, async (client) => {
        const rows: billing.SpendRow[] = [];
        let pageToken = '';
        do {
          const page = await client.querySpend({
            teamId: flags.team ?? '',
            project: flags.project ?? '',
            groupBy: (flags.by ?? []).map((d) => dimensions[d]!),
            pageSize: 1000,
            pageToken,
            ...timeRange(flags.days),
          });
          rows.push(...page.rows);
          pageToken = page.nextPageToken;
        } while (pageToken);
        if (flags.json) return console.log(JSON.stringify(rows.map((r) => protoToJson(billing.SpendRowSchema, r)), null, 2));
        const keys = flags.by ?? [];
        // The column of spend on estimated usage appears only when there is some: usually there is none.
        const anyEstimated = rows.some((r) => r.estimatedNanosUsd !== 0n);
        console.log(
          formatTable(
            [...keys, 'requests', 'input tok', 'output tok', 'cost', 'baseline', ...(anyEstimated ? ['estimated'] : [])],
            rows.map((r) => [
              ...keys.map((k) => r.group[k] ?? ''),
              r.requestCount,
              r.usage?.inputTokens ?? 0n,
              r.usage?.outputTokens ?? 0n,
              formatUsd(r.costNanosUsd),
              formatUsd(r.baselineCostNanosUsd),
              ...(anyEstimated ? [formatUsd(r.estimatedNanosUsd)] : []),
            ]),
          ),
        );
        if (anyEstimated) console.log('\nestimated: spend whose token counts the adapter estimated (the upstream reported no usage)');
      }),
    );

  withBillingFlags(program.command('savings').description('actual cost versus sending everything to the baseline model, per team per day'))
    .option('--team <team>', 'only this team')
    .option('--days <n>', 'look back this many days', '30')
    .action((flags: BillingFlags) =>
      withClient(flags, !flags.apiKey && !process.env.SWITCHYARD_API_KEY, async (client) => {
        const response = await client.querySavings({ teamId: flags.team ?? '', pageSize: 1000, ...timeRange(flags.days) });
        if (flags.json) return console.log(JSON.stringify(protoToJson(billing.QuerySavingsResponseSchema, response), null, 2));
        console.log(
          formatTable(
            ['team', 'day', 'requests', 'actual', 'baseline', 'saved'],
            [...response.rows, ...(response.total ? [{ ...response.total, teamId: 'TOTAL', day: '' }] : [])].map((r) => [
              r.teamId,
              r.day,
              r.requestCount,
              formatUsd(r.actualNanosUsd),
              formatUsd(r.baselineNanosUsd),
              formatUsd(r.savedNanosUsd),
            ]),
          ),
        );
      }),
    );

  const budget = program.command('budget').description('list, read, set or delete team budgets');
  withBillingFlags(budget.command('list').description('list budgets with what is spent and held this period (admins: every team; teams: their own)'))
    .option('--team <team>', 'only this team')
    .option('--project <project>', 'only budgets of this project')
    .action((flags: BillingFlags) =>
      withClient(flags, !flags.apiKey && !process.env.SWITCHYARD_API_KEY, async (client) => {
        const budgets: billing.Budget[] = [];
        let pageToken = '';
        do {
          const page = await client.listBudgets({ teamId: flags.team ?? '', project: flags.project ?? '', pageSize: 1000, pageToken });
          budgets.push(...page.budgets);
          pageToken = page.nextPageToken;
        } while (pageToken);
        if (flags.json) return console.log(JSON.stringify(budgets.map((b) => protoToJson(billing.BudgetSchema, b)), null, 2));
        if (budgets.length === 0) return console.log(flags.team ? `no budgets set for team ${flags.team}` : 'no budgets set');
        console.log(
          formatTable(
            ['team', 'project', 'period', 'limit', 'spent', 'held', 'remaining'],
            budgets.map((b) => [
              b.teamId,
              b.project || '(team)',
              periodName(b.period),
              formatUsd(b.limitNanosUsd),
              formatUsd(b.spentNanosUsd),
              formatUsd(b.reservedNanosUsd),
              formatUsd(b.remainingNanosUsd),
            ]),
          ),
        );
      }),
    );
  withBillingFlags(budget.command('get').description("show a team's budget and what is spent and held"))
    .requiredOption('--team <team>', 'team id')
    .option('--project <project>', 'project (default: whole team)')
    .action((flags: BillingFlags) =>
      withClient(flags, false, async (client) => {
        const { budget: current } = await client.getBudget({ teamId: flags.team!, project: flags.project ?? '' });
        if (flags.json) return console.log(JSON.stringify(current ? protoToJson(billing.BudgetSchema, current) : null, null, 2));
        if (!current) return console.log(`no budget set for team ${flags.team}`);
        console.log(`team ${current.teamId}${current.project ? `/${current.project}` : ''}, per ${periodName(current.period)}`);
        console.log(`limit ${formatUsd(current.limitNanosUsd)}  spent ${formatUsd(current.spentNanosUsd)}  held ${formatUsd(current.reservedNanosUsd)}  remaining ${formatUsd(current.remainingNanosUsd)}`);
      }),
    );
  withBillingFlags(budget.command('set').description("set a team's budget (admin)"))
    .requiredOption('--team <team>', 'team id')
    .requiredOption('--usd <amount>', 'limit in USD per period, e.g. 25 or 0.5')
    .addOption(new Option('--period <period>', 'budget period').choices(Object.keys(periods)).default('day'))
    .option('--project <project>', 'project (default: whole team)')
    .action((flags: BillingFlags & { usd: string; period: string }) =>
      withClient(flags, true, async (client) => {
        if (!/^\d+(\.\d{1,9})?$/.test(flags.usd)) throw new CliError(`--usd must be a non-negative amount with at most 9 decimals, got "${flags.usd}"`);
        const [whole, fraction = ''] = flags.usd.split('.');
        const limitNanosUsd = BigInt(whole!) * 1_000_000_000n + BigInt(fraction.padEnd(9, '0'));
        const { budget: stored } = await client.setBudget({ teamId: flags.team!, project: flags.project ?? '', period: periods[flags.period]!, limitNanosUsd });
        if (flags.json) return console.log(JSON.stringify(protoToJson(billing.BudgetSchema, stored!), null, 2));
        console.log(`budget for ${flags.team}: ${formatUsd(stored!.limitNanosUsd)} per ${flags.period}, remaining ${formatUsd(stored!.remainingNanosUsd)}`);
      }),
    );
  withBillingFlags(budget.command('delete').description("remove a team's budget (admin); spend already recorded is kept"))
    .requiredOption('--team <team>', 'team id')
    .option('--project <project>', 'project (default: whole team)')
    .action((flags: BillingFlags & { team: string }) =>
      withClient(flags, true, async (client) => {
        const { budget: removed } = await client.deleteBudget({ teamId: flags.team, project: flags.project ?? '' });
        if (!removed) throw new CliError('billing deleted the budget but did not say what it was');
        if (flags.json) return console.log(JSON.stringify(protoToJson(billing.BudgetSchema, removed), null, 2));
        console.log(
          `deleted budget for ${flags.team}${flags.project ? `/${flags.project}` : ''}: ${formatUsd(removed.limitNanosUsd)} per ${periodName(removed.period)} ` +
            `(this period: spent ${formatUsd(removed.spentNanosUsd)}, held ${formatUsd(removed.reservedNanosUsd)})`,
        );
      }),
    );
}
