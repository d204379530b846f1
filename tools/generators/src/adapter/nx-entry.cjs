// Nx loads generator factories with require(). On Node 20 it cannot strip TypeScript itself, and
// neither @swc-node/register nor ts-node is installed, so tsx (installed) loads the TypeScript generator.
const { require: tsxRequire } = require('tsx/cjs/api');

module.exports = tsxRequire('./generator.ts', __filename);
