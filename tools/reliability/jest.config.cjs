// Two spec files at a time: each spends most of its time waiting on its own processes (starts,
// restarts, outages), so two in parallel keep the suite within a few minutes on 2 cores.
module.exports = require('../../jest.preset.cjs')(__dirname, { testTimeout: 180000, maxWorkers: 2 });
