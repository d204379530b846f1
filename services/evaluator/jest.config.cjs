// Generous timeouts: several tests run real servers and processes, and CI machines are shared (2 cores).
module.exports = require('../../jest.preset.cjs')(__dirname, { testTimeout: 120_000 });
