import type { Database } from '@switchyard/database';
import { InvalidFieldError } from './billing-errors';
import { decodePageToken, encodePageToken, queryFingerprint, resolvePageSize } from './page-token';

/** A billed team as stored. */
export interface TeamRecord {
  teamId: string;
  displayName: string;
  /** "provider/model" the team's savings are measured against; '' means the served model itself. */
  baselineModel: string;
}

/** Teams: the billed units. Cached in memory (teams are never deleted; a baseline change shows within `cacheTtlMs`). */
export interface TeamDirectory {
  /** The teams among `teamIds` that exist. */
  getMany(teamIds: readonly string[]): Promise<Map<string, TeamRecord>>;
  /** One team, or undefined. */
  get(teamId: string): Promise<TeamRecord | undefined>;
  /** Creates or updates a team (validated). */
  upsert(team: TeamRecord): Promise<TeamRecord>;
  /** A page of teams ordered by id; `onlyTeamId` restricts the list to one team. */
  list(options: { pageSize: number; pageToken: string; onlyTeamId?: string }): Promise<{ teams: TeamRecord[]; nextPageToken: string }>;
}

/** Options for createTeamDirectory. */
export interface TeamDirectoryOptions {
  database: Database;
  /** Rejects a baseline model that has no price now (returns a description of why), or accepts it (undefined). */
  checkBaselineModel: (baselineModel: string) => Promise<string | undefined>;
  /** How long a cached team is trusted, ms; default 10 s. */
  cacheTtlMs?: number;
  /** Clock in ms, for tests. */
  now?: () => number;
}

/** Team ids: letters, digits, '-' and '_', 1 to 64 characters. */
export const TEAM_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** "provider/model" where both parts are non-empty. */
export const BASELINE_MODEL_PATTERN = /^[^/\s]{1,128}\/\S{1,128}$/;

interface TeamRow {
  team_id: string;
  display_name: string;
  baseline_model: string;
}
const toRecord = (row: TeamRow): TeamRecord => ({ teamId: row.team_id, displayName: row.display_name, baselineModel: row.baseline_model });

/** Creates the team directory over the `teams` table. */
export function createTeamDirectory(options: TeamDirectoryOptions): TeamDirectory {
  const { database } = options;
  const ttl = options.cacheTtlMs ?? 10_000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { team: TeamRecord; at: number }>();

  const getMany = async (teamIds: readonly string[]) => {
    const found = new Map<string, TeamRecord>();
    const missing: string[] = [];
    for (const id of new Set(teamIds)) {
      const hit = cache.get(id);
      if (hit && now() - hit.at < ttl) found.set(id, hit.team);
      else missing.push(id);
    }
    if (missing.length > 0) {
      const { rows } = await database.query<TeamRow>('SELECT team_id, display_name, baseline_model FROM teams WHERE team_id = ANY($1::text[])', [missing]);
      for (const row of rows) {
        const team = toRecord(row);
        cache.set(team.teamId, { team, at: now() });
        found.set(team.teamId, team);
      }
    }
    return found;
  };

  return {
    getMany,
    get: async (teamId) => (await getMany([teamId])).get(teamId),
    async upsert(team) {
      if (!TEAM_ID_PATTERN.test(team.teamId)) throw new InvalidFieldError('team.team_id', "must be 1-64 letters, digits, '-' or '_'");
      if (team.displayName.length > 200) throw new InvalidFieldError('team.display_name', 'must be at most 200 characters');
      if (team.baselineModel) {
        if (!BASELINE_MODEL_PATTERN.test(team.baselineModel)) throw new InvalidFieldError('team.baseline_model', 'must be "provider/model"');
        const problem = await options.checkBaselineModel(team.baselineModel);
        if (problem) throw new InvalidFieldError('team.baseline_model', problem);
      }
      const { rows } = await database.query<TeamRow>(
        `INSERT INTO teams (team_id, display_name, baseline_model) VALUES ($1, $2, $3)
         ON CONFLICT (team_id) DO UPDATE SET display_name = EXCLUDED.display_name, baseline_model = EXCLUDED.baseline_model, updated_at = now()
         RETURNING team_id, display_name, baseline_model`,
        [team.teamId, team.displayName, team.baselineModel],
      );
      const stored = toRecord(rows[0]);
      cache.set(stored.teamId, { team: stored, at: now() });
      return stored;
    },
    async list({ pageSize, pageToken, onlyTeamId }) {
      const size = resolvePageSize(pageSize);
      const fingerprint = queryFingerprint({ list: 'teams', onlyTeamId: onlyTeamId ?? null });
      const cursor = decodePageToken(pageToken, fingerprint);
      const { rows } = await database.query<TeamRow>(
        `SELECT team_id, display_name, baseline_model FROM teams
         WHERE ($1::text IS NULL OR team_id = $1) AND ($2::text IS NULL OR team_id COLLATE "C" > $2)
         ORDER BY team_id COLLATE "C" LIMIT $3`,
        [onlyTeamId ?? null, cursor?.after[0] ?? null, size + 1],
      );
      const page = rows.slice(0, size).map(toRecord);
      const nextPageToken = rows.length > size ? encodePageToken({ query: fingerprint, after: [page[page.length - 1].teamId] }) : '';
      return { teams: page, nextPageToken };
    },
  };
}
