// Shared jest setup for every project: SWC transpiles TypeScript (type checking is `npm run typecheck`),
// and the workspace's `@switchyard/*` path aliases resolve to library sources.
const path = require('node:path');
const { compilerOptions } = require('./tsconfig.base.json');

const root = __dirname;
const moduleNameMapper = {};
for (const [alias, [target]] of Object.entries(compilerOptions.paths)) {
  const pattern = '^' + alias.replace(/[.]/g, '\\.').replace('*', '(.*)') + '$';
  moduleNameMapper[pattern] = path.join(root, target.replace('*', '$1'));
}

/** @param {string} projectDir the project's folder (pass `__dirname`) */
module.exports = (projectDir, overrides = {}) => ({
  rootDir: projectDir,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.spec.ts'],
  transform: {
    '^.+\\.(t|j)s$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } },
    ],
  },
  moduleNameMapper,
  testTimeout: 30_000,
  // A project may exist before its first spec (e.g. a tool being scaffolded); CI still runs every spec.
  passWithNoTests: true,
  ...overrides,
});
