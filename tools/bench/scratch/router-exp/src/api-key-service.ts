import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { type MessageInitShape } from '@bufbuild/protobuf';
import { router } from '@switchyard/contracts';
import { invalidArgument, notFound, permissionDenied, type ApiKeyStore, type StoredApiKey } from '@switchyard/grpc-kit';
import type { ApiKeyServiceImplementation, Principal, ServerCallContext } from '@switchyard/sdk';
import type { Logger } from 'pino';

const TEAM_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;
const ROLE_NAMES: Record<number, Principal['role'] | undefined> = {
  [router.ApiKeyRole.TEAM]: 'team',
  [router.ApiKeyRole.ADMIN]: 'admin',
  [router.ApiKeyRole.SERVICE]: 'service',
};
const ROLE_ENUM: Record<Principal['role'], router.ApiKeyRole> = {
  team: router.ApiKeyRole.TEAM,
  admin: router.ApiKeyRole.ADMIN,
  service: router.ApiKeyRole.SERVICE,
};

function keyMessage(key: StoredApiKey): MessageInitShape<typeof router.ApiKeySchema> {
  return {
    keyId: key.keyId,
    teamId: key.teamId,
    role: ROLE_ENUM[key.role] ?? router.ApiKeyRole.UNSPECIFIED,
    description: key.description ?? '',
    ...(key.createdAt ? { createTime: timestampFromDate(new Date(key.createdAt)) } : {}),
    ...(key.revokedAt ? { revokeTime: timestampFromDate(new Date(key.revokedAt)) } : {}),
  };
}

function requireAdmin(context: ServerCallContext): void {
  if (context.principal?.role !== 'admin') throw permissionDenied('managing API keys needs an admin key', 'ADMIN_REQUIRED');
}

/** Options for createApiKeyService. */
export interface ApiKeyServiceOptions {
  /** The key store; its file is shared with billing, which reloads it on change. */
  store: ApiKeyStore;
  logger?: Logger;
}

/**
 * ApiKeyService on the router: admins issue, revoke and list keys. Only SHA-256 hashes are stored;
 * the secret is returned once. Every process reading the same key file (router, billing) sees a
 * change within its reload interval, without a restart.
 */
export function createApiKeyService(options: ApiKeyServiceOptions): ApiKeyServiceImplementation {
  const { store, logger } = options;
  return {
    async createApiKey(request, context) {
      requireAdmin(context);
      if (!TEAM_PATTERN.test(request.teamId)) throw invalidArgument('team_id', 'must be 1-128 letters, digits, "-" or "_"');
      const role = ROLE_NAMES[request.role];
      if (!role) throw invalidArgument('role', 'must be TEAM, ADMIN or SERVICE');
      if (request.description.length > 256) throw invalidArgument('description', 'at most 256 characters');
      const issued = store.issue(request.teamId, role, request.description || undefined);
      logger?.info({ key_id: issued.key.keyId, team: request.teamId, role, by: context.principal?.keyId }, 'API key issued');
      return { key: keyMessage(issued.key), secret: issued.secret };
    },

    async revokeApiKey(request, context) {
      requireAdmin(context);
      if (!request.keyId) throw invalidArgument('key_id', 'must be set');
      const revoked = store.revoke(request.keyId);
      if (!revoked) throw notFound(`no API key with id ${request.keyId}`, 'API_KEY_NOT_FOUND');
      logger?.info({ key_id: revoked.keyId, team: revoked.teamId, by: context.principal?.keyId }, 'API key revoked');
      return { key: keyMessage(revoked) };
    },

    async listApiKeys(request, context) {
      requireAdmin(context);
      if (request.pageSize < 0) throw invalidArgument('page_size', 'must not be negative');
      const size = Math.min(request.pageSize === 0 ? 100 : request.pageSize, 1000);
      const keys = store
        .list()
        .filter((k) => !request.teamId || k.teamId === request.teamId)
        .sort((a, b) => (a.keyId < b.keyId ? -1 : a.keyId > b.keyId ? 1 : 0));
      let start = 0;
      if (request.pageToken) {
        const after = /^keys-after:([0-9a-f]+)$/.exec(Buffer.from(request.pageToken, 'base64url').toString('utf8'))?.[1];
        if (!after) throw invalidArgument('page_token', 'is not a token from a previous ListApiKeys call');
        start = keys.findIndex((k) => k.keyId > after);
        if (start < 0) start = keys.length;
      }
      const page = keys.slice(start, start + size);
      const more = start + page.length < keys.length;
      return {
        keys: page.map(keyMessage),
        nextPageToken: more ? Buffer.from(`keys-after:${page.at(-1)!.keyId}`).toString('base64url') : '',
      };
    },
  };
}
