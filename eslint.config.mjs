// Lint: TypeScript rules plus the architecture as code. Nx tags say what may import what
// (no service imports another service; contracts import nothing), and the vendor SDKs are
// confined to the adapters that own them.
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

const vendorSdkBan = (allowed) => ({
  'no-restricted-imports': [
    'error',
    {
      paths: ['openai', '@anthropic-ai/sdk']
        .filter((name) => !allowed.includes(name))
        .map((name) => ({ name, message: `${name} may only be imported by its own adapter service.` })),
      patterns: [
        ...(allowed.includes('openai') ? [] : [{ group: ['openai/*'], message: 'openai may only be imported by its own adapter service.' }]),
        ...(allowed.includes('@anthropic-ai/sdk') ? [] : [{ group: ['@anthropic-ai/sdk/*'], message: '@anthropic-ai/sdk may only be imported by its own adapter service.' }]),
      ],
    },
  ],
});

export default [
  { ignores: ['**/node_modules/**', '**/dist/**', '**/src/gen/**', 'tools/generators/files/**', '.nx/**'] },
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  {
    files: ['**/*.ts'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: 'type:contract', onlyDependOnLibsWithTags: [] },
            { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib', 'type:contract'] },
            { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:lib', 'type:contract', 'type:testing'] },
            { sourceTag: 'type:service', onlyDependOnLibsWithTags: ['type:lib', 'type:contract', 'type:testing'] },
            { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:lib', 'type:contract', 'type:testing', 'type:tool'] },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // protoplugin's `file.print` is a tagged template used as a statement.
      '@typescript-eslint/no-unused-expressions': ['error', { allowTaggedTemplates: true }],
      ...vendorSdkBan([]),
    },
  },
  { files: ['services/adapter-openai/**/*.ts', 'services/adapter-openai-compatible/**/*.ts'], rules: vendorSdkBan(['openai']) },
  { files: ['services/adapter-anthropic/**/*.ts'], rules: vendorSdkBan(['@anthropic-ai/sdk']) },
  // Tests and benchmarks act as real customers, who hold the official SDKs.
  { files: ['**/*.spec.ts', 'tools/bench/**/*.ts', 'libs/testing/src/**/*.ts'], rules: vendorSdkBan(['openai', '@anthropic-ai/sdk']) },
];
