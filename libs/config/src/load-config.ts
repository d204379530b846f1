import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';

/** A configuration problem, naming the key (e.g. `upstream.baseUrl`) and where the value came from. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Options for loadConfig. */
export interface LoadConfigOptions {
  /** A YAML (or JSON) file; optional. A missing file named here is an error. */
  file?: string;
  /** The environment to read overrides from; only main.ts passes `process.env`. */
  env?: Record<string, string | undefined>;
  /**
   * Prefix of override variables; `SWITCHYARD_UPSTREAM__BASE_URL=x` sets `upstream.baseUrl`
   * (double underscore nests, single underscore becomes camelCase). Values are parsed as YAML
   * scalars, so `true`, `42` and `[a, b]` have their natural types.
   */
  envPrefix?: string;
  /** Values applied before the file (e.g. computed defaults). */
  defaults?: Record<string, unknown>;
}

function camelCase(segment: string): string {
  return segment.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

function deepMerge(base: Record<string, unknown>, override: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const current = out[key];
    out[key] =
      value && typeof value === 'object' && !Array.isArray(value) && current && typeof current === 'object' && !Array.isArray(current)
        ? deepMerge(current as Record<string, unknown>, value as Record<string, unknown>)
        : value;
  }
  return out;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/**
 * Reads configuration once: defaults, then the YAML file, then environment overrides; validates it
 * with a zod schema and returns a deep-frozen typed object. Any problem throws a ConfigError that
 * names the key, so a bad config fails at start, not at the first request.
 */
export function loadConfig<S extends z.ZodType>(schema: S, options: LoadConfigOptions = {}): Readonly<z.output<S>> {
  let raw: Record<string, unknown> = { ...(options.defaults ?? {}) };
  if (options.file) {
    let text: string;
    try {
      text = readFileSync(options.file, 'utf8');
    } catch (error) {
      throw new ConfigError(`config file ${options.file} cannot be read: ${(error as Error).message}`);
    }
    let parsed: unknown;
    try {
      parsed = parseYaml(text) ?? {};
    } catch (error) {
      throw new ConfigError(`config file ${options.file} is not valid YAML: ${(error as Error).message}`);
    }
    if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError(`config file ${options.file} must hold a mapping at the top level`);
    raw = deepMerge(raw, parsed as Record<string, unknown>);
  }
  const prefix = options.envPrefix;
  if (prefix && options.env) {
    const overrides: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(options.env)) {
      if (!name.startsWith(prefix) || value === undefined) continue;
      const path = name.slice(prefix.length).split('__').map(camelCase);
      let parsedValue: unknown = value;
      try {
        parsedValue = parseYaml(value);
      } catch {
        parsedValue = value;
      }
      setPath(overrides, path, parsedValue ?? value);
    }
    raw = deepMerge(raw, overrides);
  }
  const result = schema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    const source = [options.file && `file ${options.file}`, prefix && `environment ${prefix}*`].filter(Boolean).join(' and ');
    throw new ConfigError(`invalid configuration${source ? ` (from ${source})` : ''}: ${problems.join('; ')}`);
  }
  return deepFreeze(result.data);
}
