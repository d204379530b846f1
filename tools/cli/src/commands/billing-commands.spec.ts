import { status } from '@grpc/grpc-js';
import { createLogger, ServiceFailure, startGrpcServer, type RunningGrpcServer } from '@switchyard/grpc-kit';
import { billing, SwitchyardError, type BillingServiceImplementation } from '@switchyard/sdk';
import { Command } from 'commander';
import { registerBillingCommands } from './billing-commands';

const USD = 1_000_000_000n;
const budget = (teamId: string, project: string, limit: bigint, spent: bigint, reserved: bigint) => ({
  teamId,
  project,
  period: project ? billing.BudgetPeriod.MONTH : billing.BudgetPeriod.DAY,
  limitNanosUsd: limit,
  spentNanosUsd: spent,
  reservedNanosUsd: reserved,
  remainingNanosUsd: limit - spent - reserved,
});

const spendRow = (model: string, cost: bigint, estimated: bigint) => ({
  group: { model },
  requestCount: 2n,
  usage: { inputTokens: 100n, outputTokens: 20n },
  costNanosUsd: cost,
  baselineCostNanosUsd: cost * 2n,
  estimatedNanosUsd: estimated,
});

/**
 * A scripted BillingService on real gRPC: two pages of budgets, deletes that find a budget unless the
 * project is "missing", and spend with estimated usage only for team "ollama-users".
 */
function scriptedBilling(seen: { lists: billing.ListBudgetsRequest[]; deletes: billing.DeleteBudgetRequest[] }): BillingServiceImplementation {
  const fail = (): never => {
    throw new Error('not scripted');
  };
  const unscripted = Object.fromEntries(billing.BillingService.methods.map((method) => [method.localName, fail])) as unknown as BillingServiceImplementation;
  return {
    ...unscripted,
    listBudgets: (request) => {
      seen.lists.push(request);
      return request.pageToken === ''
        ? { budgets: [budget('alpha', '', 10n * USD, USD, USD / 2n), budget('alpha', 'search', 3n * USD, 0n, 0n)], nextPageToken: 'page-2' }
        : { budgets: [budget('beta', '', 5n * USD, 6n * USD, 0n)], nextPageToken: '' };
    },
    querySpend: (request) => ({
      rows:
        request.teamId === 'ollama-users'
          ? [spendRow('gpt-4o-mini', USD / 2n, 0n), spendRow('llama', USD / 4n, USD / 4n)]
          : [spendRow('gpt-4o-mini', USD / 2n, 0n)],
      nextPageToken: '',
    }),
    deleteBudget: (request) => {
      seen.deletes.push(request);
      if (request.project === 'missing') {
        throw new ServiceFailure(status.NOT_FOUND, `budget of team:${request.teamId}/project:missing does not exist`, { reason: 'BUDGET_NOT_FOUND' });
      }
      return { budget: budget(request.teamId, request.project, 3n * USD, USD / 4n, USD / 10n) };
    },
  };
}

describe('switchyard spend, budget list and delete', () => {
  let server: RunningGrpcServer;
  const seen: { lists: billing.ListBudgetsRequest[]; deletes: billing.DeleteBudgetRequest[] } = { lists: [], deletes: [] };
  let output: string[];
  let log: jest.SpyInstance;

  beforeAll(async () => {
    server = await startGrpcServer({
      name: 'scripted-billing',
      address: '127.0.0.1:0',
      errorDomain: 'billing.switchyard.dev',
      services: [{ service: billing.BillingService, implementation: scriptedBilling(seen) }],
      logger: createLogger({ service: 'test', level: 'silent' }),
    });
  });

  afterAll(async () => {
    await server.shutdown(100);
  });

  beforeEach(() => {
    output = [];
    seen.lists.length = 0;
    seen.deletes.length = 0;
    log = jest.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void output.push(args.join(' ')));
  });

  afterEach(() => log.mockRestore());

  const run = (...args: string[]) => {
    const program = new Command('switchyard').exitOverride();
    registerBillingCommands(program);
    return program.parseAsync(['node', 'switchyard', ...args, '--billing', server.address, '--api-key', 'test-key']);
  };
  const cli = (...args: string[]) => run('budget', ...args);

  it('spend shows the spend on estimated usage only when there is some', async () => {
    await run('spend', '--team', 'ollama-users');
    const text = output.join('\n');
    expect(text).toMatch(/^model\s+requests\s+input tok\s+output tok\s+cost\s+baseline\s+estimated$/m);
    expect(text).toMatch(/^llama\s+2\s+100\s+20\s+\$0\.250000\s+\$0\.500000\s+\$0\.250000$/m);
    expect(text).toMatch(/^gpt-4o-mini\s+2\s+100\s+20\s+\$0\.500000\s+\$1\.000000\s+\$0\.000000$/m);
    output.length = 0;
    await run('spend', '--team', 'alpha');
    expect(output.join('\n')).not.toContain('estimated');
  });

  it('lists every page of budgets as a table', async () => {
    await cli('list');
    expect(seen.lists.map((r) => [r.teamId, r.pageToken, r.pageSize])).toEqual([
      ['', '', 1000],
      ['', 'page-2', 1000],
    ]);
    const text = output.join('\n');
    expect(text).toMatch(/^team\s+project\s+period\s+limit\s+spent\s+held\s+remaining$/m);
    expect(text).toMatch(/^alpha\s+\(team\)\s+day\s+\$10\.000000\s+\$1\.000000\s+\$0\.500000\s+\$8\.500000$/m);
    expect(text).toMatch(/^alpha\s+search\s+month\s+\$3\.000000\s+\$0\.000000\s+\$0\.000000\s+\$3\.000000$/m);
    expect(text).toMatch(/^beta\s+\(team\)\s+day\s+\$5\.000000\s+\$6\.000000\s+\$0\.000000\s+-\$1\.000000$/m);
  });

  it('passes the team and project filters and prints JSON with --json', async () => {
    await cli('list', '--team', 'alpha', '--project', 'search', '--json');
    expect(seen.lists[0]).toMatchObject({ teamId: 'alpha', project: 'search' });
    const listed = JSON.parse(output.join('\n')) as Array<{ teamId: string; project?: string; limitNanosUsd: string }>;
    expect(listed.map((b) => [b.teamId, b.project ?? '', b.limitNanosUsd])).toEqual([
      ['alpha', '', '10000000000'],
      ['alpha', 'search', '3000000000'],
      ['beta', '', '5000000000'],
    ]);
  });

  it('deletes a budget and says what it was', async () => {
    await cli('delete', '--team', 'alpha', '--project', 'search');
    expect(seen.deletes).toEqual([expect.objectContaining({ teamId: 'alpha', project: 'search' })]);
    expect(output.join('\n')).toBe('deleted budget for alpha/search: $3.000000 per month (this period: spent $0.250000, held $0.100000)');
  });

  it('passes NOT_FOUND through for a budget that does not exist', async () => {
    const error = await cli('delete', '--team', 'alpha', '--project', 'missing').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SwitchyardError);
    expect(error).toMatchObject({ code: status.NOT_FOUND, reason: 'BUDGET_NOT_FOUND', message: 'budget of team:alpha/project:missing does not exist' });
  });
});
