import { join } from 'node:path';
import { formatFiles, generateFiles, joinPathFragments, names, offsetFromRoot, type Tree } from '@nx/devkit';

/** Options of the `adapter` generator (see schema.json). */
export interface AdapterGeneratorSchema {
  /** Kebab-case name; the service becomes `services/adapter-<name>`. */
  name: string;
  /** Provider name reported in ListModels; default the name. */
  provider?: string;
  /** Default upstream base URL. */
  baseUrl?: string;
  /** A first model id to serve. */
  model?: string;
}

const NAME_PATTERN = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/** Where the templates live (tools/generators/files/adapter). */
export const ADAPTER_TEMPLATES = join(__dirname, '..', '..', 'files', 'adapter');

/**
 * `nx g @switchyard/tools:adapter <name>`: scaffolds `services/adapter-<name>` — composition root,
 * config, capabilities, pure translators (OpenAI Chat Completions wire to start from), a fetch
 * upstream client, error mapping and a conformance test. It builds, starts and passes the
 * conformance suite against the fake OpenAI upstream before anyone edits it. Returns the project root.
 */
export async function adapterGenerator(tree: Tree, schema: AdapterGeneratorSchema): Promise<string> {
  if (!NAME_PATTERN.test(schema.name)) throw new Error(`adapter name "${schema.name}" must be kebab-case, e.g. "mistral"`);
  const projectRoot = joinPathFragments('services', `adapter-${schema.name}`);
  if (tree.exists(projectRoot)) throw new Error(`${projectRoot} already exists`);
  const n = names(schema.name);
  generateFiles(tree, ADAPTER_TEMPLATES, projectRoot, {
    ...n,
    name: n.fileName,
    provider: schema.provider ?? n.fileName,
    baseUrl: schema.baseUrl ?? 'http://127.0.0.1:8000/v1',
    model: schema.model ?? 'example-model',
    offsetFromRoot: offsetFromRoot(projectRoot),
    template: '',
  });
  await formatFiles(tree);
  return projectRoot;
}

export default adapterGenerator;
