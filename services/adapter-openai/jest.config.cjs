// @switchyard/openai-chat and @switchyard/provider-kit are mapped here until tsconfig.base.json lists them.
const path = require('node:path');
const preset = require('../../jest.preset.cjs')(__dirname, { testTimeout: 60_000 });
const libs = path.join(__dirname, '../../libs');
module.exports = {
  ...preset,
  moduleNameMapper: {
    '^@switchyard/openai-chat$': path.join(libs, 'openai-chat/src/index.ts'),
    '^@switchyard/provider-kit$': path.join(libs, 'provider-kit/src/index.ts'),
    ...preset.moduleNameMapper,
  },
};
