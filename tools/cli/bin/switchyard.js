#!/usr/bin/env node
// `npx switchyard ...`: runs the TypeScript CLI from source through tsx's require hook,
// with the repository's tsconfig (for the @switchyard/* path aliases) wherever it is invoked from.
const path = require('node:path');
process.env.TSX_TSCONFIG_PATH ??= path.resolve(__dirname, '../../../tsconfig.json');
require('tsx/cjs');
require('../src/main.ts');
