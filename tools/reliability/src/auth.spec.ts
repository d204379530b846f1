// Authentication and authorization across every service: no key, a wrong key, a revoked key, a
// team reading another team's spend, a team key calling admin methods or an adapter directly →
// UNAUTHENTICATED / PERMISSION_DENIED. Keys are compared in constant time and stored only hashed.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { billing, router } from '@switchyard/contracts';
import { createApiKeyStore, hashApiKey } from '@switchyard/grpc-kit';
import {
  chatMessage,
  createApiKeyClient,
  createBillingClient,
  createProviderClient,
  createRouterClient,
  SwitchyardError,
  type BillingServiceClient,
  type RouterServiceClient,
} from '@switchyard/sdk';
import { percentile } from './harness/bounded-load';
import { startReliabilityStack, type ReliabilityStack } from './harness/reliability-stack';
import { reportScenario } from './harness/scenario-report';

const codeOf = async (call: Promise<unknown>): Promise<string> => {
  try {
    await call;
    return 'OK';
  } catch (error) {
    if (error instanceof SwitchyardError) return error.codeName;
    throw error;
  }
};

describe('auth: keys, roles and teams on every service', () => {
  let stack: ReliabilityStack;
  const closers: Array<{ close(): void }> = [];
  const checks: Array<{ what: string; code: string }> = [];
  const track = <T extends { close(): void }>(client: T) => (closers.push(client), client);
  const routerAs = (key?: string): RouterServiceClient => track(createRouterClient(stack.routers[0]!.address, key ? { apiKey: key } : {}));
  const billingAs = (key?: string): BillingServiceClient => track(createBillingClient(stack.billings[0]!.address, key ? { apiKey: key } : {}));
  const expectCode = async (what: string, call: Promise<unknown>, code: string) => {
    const got = await codeOf(call);
    checks.push({ what, code: got });
    expect(`${what}: ${got}`).toBe(`${what}: ${code}`);
  };
  const hi = (requestId: string) => ({ messages: [chatMessage('user', 'hello')], context: { requestId } });

  beforeAll(async () => {
    stack = await startReliabilityStack({ label: 'auth', teams: ['acme', 'rival'] });
    // Something to read: one request each.
    await routerAs(stack.keys.acme).generate(hi('auth-acme-1'));
    await routerAs(stack.keys.rival).generate(hi('auth-rival-1'));
    await stack.ledger.waitFor('rival', (rows) => rows.length >= 1, 15_000);
  });

  afterAll(async () => {
    for (const c of closers) c.close();
    reportScenario('auth', { checks: checks.length, refused: checks.filter((c) => c.code !== 'OK').length });
    await stack?.close();
  });

  it('no key, a wrong key, a forged key id: UNAUTHENTICATED on the router, billing and the adapters', async () => {
    const [keyId] = /^sy_([0-9a-f]{10})_/.exec(stack.keys.acme)!.slice(1);
    const forged = `sy_${keyId}_${'A'.repeat(32)}`; // a real key id with a wrong secret
    for (const [label, key] of [
      ['no key', undefined],
      ['garbage', 'not-a-key'],
      ['unknown key', `sy_0123456789_${'b'.repeat(32)}`],
      ['real key id, wrong secret', forged],
    ] as const) {
      await expectCode(`router Generate with ${label}`, routerAs(key).generate(hi(`auth-bad-${label}`)), 'UNAUTHENTICATED');
      await expectCode(`router ListModels with ${label}`, routerAs(key).listModels({}), 'UNAUTHENTICATED');
      await expectCode(`billing QuerySpend with ${label}`, billingAs(key).querySpend({}), 'UNAUTHENTICATED');
      for (const adapter of Object.values(stack.adapters)) {
        const client = track(createProviderClient(adapter!.address, key ? { apiKey: key } : {}));
        await expectCode(`${adapter!.name} ListModels with ${label}`, client.listModels({}), 'UNAUTHENTICATED');
      }
    }
    // The message says what to do, and never echoes the presented key.
    const error = (await routerAs(forged).listModels({}).catch((e: unknown) => e)) as SwitchyardError;
    expect(error.message).toMatch(/API key/);
    expect(error.message).not.toContain(forged);
  });

  it("a team key reading another team's spend or budget: PERMISSION_DENIED; its own: allowed", async () => {
    const acme = billingAs(stack.keys.acme);
    const own = await acme.querySpend({ teamId: 'acme' });
    expect(own.rows.reduce((n, r) => n + r.requestCount, 0n)).toBeGreaterThanOrEqual(1n);
    await expectCode("team acme QuerySpend of team rival", acme.querySpend({ teamId: 'rival' }), 'PERMISSION_DENIED');
    await expectCode("team acme QuerySavings of team rival", acme.querySavings({ teamId: 'rival' }), 'PERMISSION_DENIED');
    await expectCode("team acme GetBudget of team rival", acme.getBudget({ teamId: 'rival' }), 'PERMISSION_DENIED');
    // An empty team id means "my team", never "all teams".
    const mine = await acme.querySpend({ groupBy: [billing.SpendDimension.TEAM] });
    expect(mine.rows.map((r) => r.group['team'])).toEqual(['acme']);
  });

  it('a team key calling admin or service methods: PERMISSION_DENIED', async () => {
    const keys = track(createApiKeyClient(stack.routers[0]!.address, { apiKey: stack.keys.acme }));
    await expectCode('team key CreateApiKey', keys.createApiKey({ teamId: 'acme', role: router.ApiKeyRole.ADMIN }), 'PERMISSION_DENIED');
    await expectCode('team key ListApiKeys', keys.listApiKeys({}), 'PERMISSION_DENIED');
    await expectCode('team key RevokeApiKey', keys.revokeApiKey({ keyId: '0000000000' }), 'PERMISSION_DENIED');
    const acme = billingAs(stack.keys.acme);
    await expectCode('team key SetBudget (own team)', acme.setBudget({ teamId: 'acme', period: billing.BudgetPeriod.DAY, limitNanosUsd: 10n ** 15n }), 'PERMISSION_DENIED');
    await expectCode('team key UpsertTeam', acme.upsertTeam({ team: { teamId: 'acme', baselineModel: 'openai/gpt-4.1-nano' } }), 'PERMISSION_DENIED');
    await expectCode('team key UpsertPrices', acme.upsertPrices({ requestId: 'p-1', prices: [] }), 'PERMISSION_DENIED');
    await expectCode('team key RecordUsage (writing its own ledger)', acme.recordUsage({ records: [] }), 'PERMISSION_DENIED');
    await expectCode('team key ReserveBudget', acme.reserveBudget({ requestId: 'r-1', teamId: 'acme', amountNanosUsd: 1n }), 'PERMISSION_DENIED');
    // The router's service key is not an admin key either.
    const service = billingAs(stack.keys.service);
    await expectCode('service key SetBudget', service.setBudget({ teamId: 'acme', period: billing.BudgetPeriod.DAY, limitNanosUsd: 1n }), 'PERMISSION_DENIED');
    await expectCode('service key QuerySpend', service.querySpend({ teamId: 'acme' }), 'PERMISSION_DENIED');
    // Metadata cannot raise a key's role: a team key as Bearer plus an admin-looking header is still the team.
    const smuggled = track(createApiKeyClient(stack.routers[0]!.address, { apiKey: stack.keys.acme, metadata: { 'x-api-key': stack.keys.admin, 'x-switchyard-role': 'admin' } }));
    await expectCode('team Bearer + admin x-api-key ListApiKeys', smuggled.listApiKeys({}), 'PERMISSION_DENIED');
    // Positive control: the admin key may.
    const admin = track(createApiKeyClient(stack.routers[0]!.address, { apiKey: stack.keys.admin }));
    expect((await admin.listApiKeys({})).keys.length).toBeGreaterThanOrEqual(4);
  });

  it('a team key calling an adapter directly (bypassing routing, budget and billing): PERMISSION_DENIED', async () => {
    for (const adapter of Object.values(stack.adapters)) {
      const client = track(createProviderClient(adapter!.address, { apiKey: stack.keys.acme }));
      await expectCode(`team key ${adapter!.name} Generate`, client.generate({ model: adapter!.name.endsWith('openai') ? 'gpt-4.1-nano' : 'claude-haiku-4-5', messages: [chatMessage('user', 'free tokens?')] }), 'PERMISSION_DENIED');
    }
  });

  it('a revoked key stops working on the router and on billing within seconds, without a restart', async () => {
    const admin = track(createApiKeyClient(stack.routers[0]!.address, { apiKey: stack.keys.admin }));
    const issued = await admin.createApiKey({ teamId: 'acme', role: router.ApiKeyRole.TEAM, description: 'to be revoked' });
    const secret = issued.secret;
    // Billing reloads the shared key file within its reload interval (about a second); the bound only keeps a broken reload from hanging the test.
    const deadline = Date.now() + 30_000;
    while ((await codeOf(billingAs(secret).querySpend({}))) !== 'OK' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(await codeOf(routerAs(secret).listModels({}))).toBe('OK');
    expect(await codeOf(billingAs(secret).querySpend({}))).toBe('OK');
    const revokedAt = Date.now();
    await admin.revokeApiKey({ keyId: issued.key!.keyId });
    let routerCode = '';
    let billingCode = '';
    while (Date.now() < revokedAt + 30_000) {
      routerCode = await codeOf(routerAs(secret).generate(hi(`auth-revoked-${Date.now()}`)));
      billingCode = await codeOf(billingAs(secret).querySpend({}));
      if (routerCode === 'UNAUTHENTICATED' && billingCode === 'UNAUTHENTICATED') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    checks.push({ what: 'revoked key on router', code: routerCode }, { what: 'revoked key on billing', code: billingCode });
    expect([routerCode, billingCode]).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED']);
    reportScenario('auth/revocation', { effectiveWithinMs: Date.now() - revokedAt });
  });

  it('keys are stored only as SHA-256 hashes, and no API returns a secret or a hash', async () => {
    const file = readFileSync(join(stack.dir, 'api-keys.json'), 'utf8');
    const stored = JSON.parse(file) as { keys: Array<Record<string, unknown>> };
    for (const key of stored.keys) {
      expect(key.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(Object.keys(key).sort()).toEqual(expect.arrayContaining(['keyId', 'sha256', 'teamId', 'role']));
    }
    expect((statSync(join(stack.dir, 'api-keys.json')).mode & 0o077) === 0).toBe(true);
    const secrets = Object.values(stack.keys);
    // No file the stack wrote (key file, configs, outboxes) holds a secret in clear, except the
    // router's config, which must carry its own service key for billing and the adapters.
    const files = walk(stack.dir).filter((f) => !f.endsWith('config/router-0.yaml'));
    for (const f of files) {
      const content = readFileSync(f);
      for (const secret of secrets) expect(`${f}: ${content.includes(secret)}`).toBe(`${f}: false`);
    }
    for (const secret of secrets) expect(file).toContain(hashApiKey(secret));
    const listed = JSON.stringify((await track(createApiKeyClient(stack.routers[0]!.address, { apiKey: stack.keys.admin })).listApiKeys({})).keys, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
    for (const secret of secrets) {
      expect(listed).not.toContain(secret);
      expect(listed).not.toContain(hashApiKey(secret));
    }
  });

  it('key verification takes the same time whether the key id exists or not (constant-time comparison of hashes)', () => {
    const store = createApiKeyStore({ keys: [] });
    const real = store.issue('acme', 'team');
    const knownIdWrongSecret = real.secret.slice(0, -4) + 'AAAA';
    const unknownId = `sy_ffffffffff_${real.secret.slice(14)}`;
    const malformed = 'x'.repeat(real.secret.length);
    const samples: Record<string, number[]> = { valid: [], knownIdWrongSecret: [], unknownId: [], malformed: [] };
    const inputs: Record<string, string> = { valid: real.secret, knownIdWrongSecret, unknownId, malformed };
    // Interleaved rounds, so drift in machine load hits every kind alike.
    for (let round = 0; round < 4000; round++) {
      for (const [kind, secret] of Object.entries(inputs)) {
        const t0 = process.hrtime.bigint();
        for (let i = 0; i < 5; i++) store.verify(secret);
        samples[kind]!.push(Number(process.hrtime.bigint() - t0));
      }
    }
    expect(store.verify(real.secret)?.teamId).toBe('acme');
    expect(store.verify(knownIdWrongSecret)).toBeUndefined();
    const medians = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, percentile(v, 50)]));
    const reference = medians.valid!;
    // Every path hashes and compares 32 bytes: no path may be several times faster than another.
    for (const [kind, median] of Object.entries(medians)) expect(`${kind}: ${median / reference > 0.5 && median / reference < 2}`).toBe(`${kind}: true`);
    reportScenario('auth/timing', Object.fromEntries(Object.entries(medians).map(([k, v]) => [`${k}Ns`, Math.round(v / 5)])));
  });
});

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? walk(join(dir, entry.name)) : [join(dir, entry.name)]));
}
