#!/usr/bin/env node
// The CLI runs as one bundled file (dist/cli.js, built by `npm run build:cli`, which `prepare`
// runs on `npm ci`), so that start-up loads neither TypeScript nor Hardhat.
try {
  require.resolve("../dist/cli.js");
} catch {
  console.error("keyway: the CLI is not built yet: run `npm run build:cli`");
  process.exit(1);
}
require("../dist/cli.js");
