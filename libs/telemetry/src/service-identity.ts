// Who is running, worked out from the entry script: the nearest package.json above it names the
// service (`@switchyard/router` → `router`) and its version. This lets `import '@switchyard/telemetry/register'`
// take no arguments, since an import statement cannot pass any.
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';

/** A service's name and version for the telemetry resource. */
export interface ServiceIdentity {
  name: string;
  version?: string;
}

/**
 * The identity of the service whose entry script is `entryScript` (process.argv[1]): the nearest
 * package.json's name without its scope, and its version; else the script's folder-based name.
 * At most 8 folders are searched upwards.
 */
export function serviceIdentityFromEntry(entryScript: string | undefined): ServiceIdentity {
  if (!entryScript) return { name: 'unknown_service:node' };
  let folder = dirname(entryScript);
  for (let depth = 0; depth < 8; depth++) {
    const manifest = join(folder, 'package.json');
    if (existsSync(manifest)) {
      try {
        const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown; version?: unknown };
        if (typeof parsed.name === 'string' && parsed.name) {
          return { name: parsed.name.replace(/^@[^/]+\//, ''), version: typeof parsed.version === 'string' ? parsed.version : undefined };
        }
      } catch {
        // An unreadable manifest is not a reason to stop a service; fall through to the file name.
      }
      break;
    }
    const parent = dirname(folder);
    if (parent === folder) break;
    folder = parent;
  }
  return { name: basename(entryScript, extname(entryScript)) };
}
