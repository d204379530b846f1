/**
 * Where the tools find the repository, the routing data and the committed artifact.
 */
import path from 'node:path';

/** The monorepo root (this file is `tools/routing-classifier/src/repo-paths.ts`). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

/** Default data folder: `<repo>/../shared/data/routing`. Override with `--data DIR`. */
export const DEFAULT_DATA_DIR = path.resolve(REPO_ROOT, '..', 'shared', 'data', 'routing');

/** The artifact the learned classifier loads by default. */
export const ARTIFACT_PATH = path.join(REPO_ROOT, 'libs', 'classifier', 'src', 'model', 'routing-model.json');

/** The shared benchmarks page; the bench tool owns one section of it. */
export const BENCHMARKS_DOC_PATH = path.join(REPO_ROOT, 'docs', 'benchmarks.md');
