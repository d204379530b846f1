// PGlite needs NODE_OPTIONS=--experimental-vm-modules under jest (the "test" script sets it).
module.exports = require('../../jest.preset.cjs')(__dirname, { testTimeout: 120_000 });
