import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseSuiteText, SuiteFileError, type Suite } from './suite-file';

/** Suite files are named `<name>.v<version>.jsonl`. */
export const SUITE_FILE_PATTERN = /^([a-z][a-z0-9_-]*)\.v([0-9][0-9a-z.-]*)\.jsonl$/;

/** The suites an evaluator serves: every version of every suite file it loaded. */
export interface SuiteCatalog {
  /** The newest version of each suite, sorted by name. */
  list(): Suite[];
  /** A suite by "name" (newest version) or "name@version". */
  get(reference: string): Suite | undefined;
}

/** Orders versions "1" < "1.1" < "2" < "10" by their dotted numeric parts. */
export function compareVersions(a: string, b: string): number {
  const left = a.split(/[.-]/);
  const right = b.split(/[.-]/);
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const x = left[i] ?? '';
    const y = right[i] ?? '';
    const byNumber = (Number.parseInt(x, 10) || 0) - (Number.parseInt(y, 10) || 0);
    if (byNumber !== 0) return byNumber;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** Builds a catalog from parsed suites. */
export function createSuiteCatalog(suites: readonly Suite[]): SuiteCatalog {
  const byName = new Map<string, Suite[]>();
  for (const suite of suites) byName.set(suite.name, [...(byName.get(suite.name) ?? []), suite].sort((a, b) => compareVersions(a.version, b.version)));
  return {
    list: () => [...byName.keys()].sort().map((name) => byName.get(name)!.at(-1)!),
    get(reference) {
      const [name, version] = reference.split('@');
      const versions = byName.get(name ?? '');
      if (!versions) return undefined;
      return version === undefined ? versions.at(-1) : versions.find((suite) => suite.version === version);
    },
  };
}

/** Reads and validates one suite file; the name and version inside must match the file name. */
export function readSuiteFile(file: string): Suite {
  const source = path.basename(file);
  const suite = parseSuiteText(readFileSync(file, 'utf8'), source);
  const match = SUITE_FILE_PATTERN.exec(source);
  if (!match) throw new SuiteFileError(source, [{ line: 1, reason: 'the file name must be <name>.v<version>.jsonl' }]);
  if (match[1] !== suite.name || match[2] !== suite.version) {
    throw new SuiteFileError(source, [{ line: 1, reason: `the header says ${suite.name} version ${suite.version}, the file name says ${match[1]} version ${match[2]}` }]);
  }
  return suite;
}

/** What loading suite folders produced: the catalog and every rejected file with its problems. */
export interface LoadedSuites {
  catalog: SuiteCatalog;
  suites: Suite[];
  rejected: SuiteFileError[];
}

/** Loads every `*.v*.jsonl` file in the folders. A bad file is rejected (with its line numbers and reasons), not fatal. */
export function loadSuiteFolders(folders: readonly string[]): LoadedSuites {
  const suites: Suite[] = [];
  const rejected: SuiteFileError[] = [];
  const seen = new Set<string>();
  for (const folder of folders) {
    for (const file of readdirSync(folder).filter((name) => name.endsWith('.jsonl')).sort()) {
      try {
        const suite = readSuiteFile(path.join(folder, file));
        const key = `${suite.name}@${suite.version}`;
        if (seen.has(key)) throw new SuiteFileError(file, [{ line: 1, reason: `${key} is already loaded from another folder` }]);
        seen.add(key);
        suites.push(suite);
      } catch (error) {
        if (error instanceof SuiteFileError) rejected.push(error);
        else throw error;
      }
    }
  }
  return { catalog: createSuiteCatalog(suites), suites, rejected };
}
