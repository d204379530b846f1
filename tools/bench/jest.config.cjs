// The short-mode benchmark test starts real processes (billing, adapter, router, Portkey): give it minutes.
module.exports = require('../../jest.preset.cjs')(__dirname, { testTimeout: 300_000 });
