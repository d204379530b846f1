import { toJson as protoToJson } from '@bufbuild/protobuf';
import { createApiKeyClient, router } from '@switchyard/sdk';
import { Option, type Command } from 'commander';
import { formatTable } from '../output';
import { resolveConnection } from '../stack-discovery';

interface KeyFlags {
  router?: string;
  apiKey?: string;
  json?: boolean;
}

const roles: Record<string, router.ApiKeyRole> = { team: router.ApiKeyRole.TEAM, admin: router.ApiKeyRole.ADMIN, service: router.ApiKeyRole.SERVICE };

async function withClient<T>(flags: KeyFlags, run: (client: ReturnType<typeof createApiKeyClient>) => Promise<T>) {
  const connection = resolveConnection('router', { address: flags.router, apiKey: flags.apiKey, admin: true });
  const client = createApiKeyClient(connection.address, { apiKey: connection.apiKey });
  try {
    return await run(client);
  } finally {
    client.close();
  }
}

/** `keys create|revoke|list`: API keys, managed through the router's ApiKeyService (admin key). */
export function registerKeys(program: Command): void {
  const keys = program.command('keys').description('create, revoke and list API keys (admin)');
  const flags = (command: Command) =>
    command
      .option('--router <address>', 'router address HOST:PORT')
      .option('--api-key <key>', 'admin API key (default: SWITCHYARD_ADMIN_API_KEY or the local admin key)')
      .option('--json', 'print JSON');
  flags(keys.command('create').description('issue a key; the secret is printed once'))
    .requiredOption('--team <team>', 'team id')
    .addOption(new Option('--role <role>', 'what the key may do').choices(Object.keys(roles)).default('team'))
    .option('--description <text>', 'a note for people', '')
    .action((options: KeyFlags & { team: string; role: string; description: string }) =>
      withClient(options, async (client) => {
        const created = await client.createApiKey({ teamId: options.team, role: roles[options.role]!, description: options.description });
        if (options.json) return console.log(JSON.stringify(protoToJson(router.CreateApiKeyResponseSchema, created), null, 2));
        console.log(`key ${created.key?.keyId} for team ${options.team} (${options.role})`);
        console.log(`secret: ${created.secret}`);
        console.log('Store it now: Switchyard keeps only its hash.');
      }),
    );
  flags(keys.command('revoke').description('revoke a key at once'))
    .argument('<keyId>', 'the key id (the part after "sy_")')
    .action((keyId: string, options: KeyFlags) =>
      withClient(options, async (client) => {
        const revoked = await client.revokeApiKey({ keyId });
        if (options.json) return console.log(JSON.stringify(protoToJson(router.RevokeApiKeyResponseSchema, revoked), null, 2));
        console.log(`revoked ${keyId}`);
      }),
    );
  flags(keys.command('list').description('list keys (never their secrets)'))
    .option('--team <team>', 'only this team')
    .action((options: KeyFlags & { team?: string }) =>
      withClient(options, async (client) => {
        const listed = await client.listApiKeys({ teamId: options.team ?? '', pageSize: 1000 });
        if (options.json) return console.log(JSON.stringify(protoToJson(router.ListApiKeysResponseSchema, listed), null, 2));
        console.log(
          formatTable(
            ['key', 'team', 'role', 'revoked', 'description'],
            listed.keys.map((k) => [k.keyId, k.teamId, router.ApiKeyRole[k.role].toLowerCase(), k.revokeTime ? 'yes' : 'no', k.description]),
          ),
        );
      }),
    );
}
