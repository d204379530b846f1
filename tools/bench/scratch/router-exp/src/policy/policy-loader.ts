import { readFileSync, statSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { routingPolicySchema, type RoutingPolicy, type TeamPolicy } from './policy-schema';

/** A policy file that cannot be used, with every problem and its key path. */
export class PolicyError extends Error {
  override readonly name = 'PolicyError';
}

/** Parses policy YAML text; throws PolicyError naming the key paths of every problem. */
export function parseRoutingPolicy(text: string, source = 'policy'): RoutingPolicy {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new PolicyError(`${source} is not valid YAML: ${(error as Error).message}`);
  }
  const result = routingPolicySchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new PolicyError(`${source} is invalid: ${problems.join('; ')}`);
  }
  return result.data;
}

/** The current policy, reloaded when its file changes. */
export interface PolicySource {
  /** The policy now in force. */
  current(): RoutingPolicy;
  /** The policy of a team (its own, else `*`), or undefined when the team has none. */
  teamPolicy(teamId: string): TeamPolicy | undefined;
  /** Re-reads the file now if it changed (also done on a timer). */
  reloadIfChanged(): void;
  /** Stops watching. */
  close(): void;
}

/** Options for createPolicySource. */
export interface PolicySourceOptions {
  /** The policy YAML file. */
  file: string;
  /** How often the file's mtime is checked, ms; default 1000. 0 disables the timer. */
  reloadIntervalMs?: number;
  /** Told about reloads and rejected files (the last good policy stays in force). */
  onReload?: (event: { ok: true } | { ok: false; error: Error }) => void;
}

/**
 * Loads the policy file (a bad file at start throws) and reloads it when its mtime or size changes.
 * A bad file later is reported and ignored: the last good policy keeps routing.
 */
export function createPolicySource(options: PolicySourceOptions): PolicySource {
  const fingerprint = () => {
    const stat = statSync(options.file);
    return `${stat.mtimeMs}:${stat.size}`;
  };
  let seen = fingerprint();
  let policy = parseRoutingPolicy(readFileSync(options.file, 'utf8'), options.file);

  const reloadIfChanged = () => {
    let now: string;
    try {
      now = fingerprint();
    } catch (error) {
      options.onReload?.({ ok: false, error: error as Error });
      return;
    }
    if (now === seen) return;
    seen = now;
    try {
      policy = parseRoutingPolicy(readFileSync(options.file, 'utf8'), options.file);
      options.onReload?.({ ok: true });
    } catch (error) {
      options.onReload?.({ ok: false, error: error as Error });
    }
  };
  const interval = options.reloadIntervalMs ?? 1000;
  const timer = interval > 0 ? setInterval(reloadIfChanged, interval) : undefined;
  timer?.unref();

  return {
    current: () => policy,
    teamPolicy: (teamId) => (Object.hasOwn(policy.teams, teamId) ? policy.teams[teamId] : Object.hasOwn(policy.teams, '*') ? policy.teams['*'] : undefined),
    reloadIfChanged,
    close: () => clearInterval(timer),
  };
}
