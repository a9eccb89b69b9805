// `npm run build:sdk`: the SDK in dist/ as CommonJS with types (tsc), and as ESM bundles with
// dependencies left external: one for Node (where the native secp256k1 addon loads through
// `require`) and one for browsers (package.json's "browser" field swaps the native loader for
// its @noble stand-in). The relay (`keyway/relay`, Node only) is bundled as ESM and CommonJS
// with the SDK inside, its types under dist/types/.
const { execFileSync } = require("node:child_process");
const esbuild = require("esbuild");

execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", "tsconfig.build.json"], { stdio: "inherit" });
execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", "tsconfig.relay.json"], { stdio: "inherit" });

const common = { bundle: true, format: "esm", packages: "external", logLevel: "warning" };
// ESM has no `require`; the native loader needs one.
const nodeRequire = { js: 'import { createRequire } from "node:module"; const require = createRequire(import.meta.url);' };

Promise.all([
  esbuild.build({ ...common, entryPoints: ["sdk/index.ts"], platform: "node", banner: nodeRequire, outfile: "dist/index.mjs" }),
  esbuild.build({ ...common, entryPoints: ["sdk/index.ts"], platform: "browser", outfile: "dist/index.browser.mjs" }),
  esbuild.build({ ...common, entryPoints: ["sdk/node.ts"], platform: "node", banner: nodeRequire, outfile: "dist/node.mjs" }),
  esbuild.build({ ...common, entryPoints: ["relay/index.ts"], platform: "node", banner: nodeRequire, outfile: "dist/relay.mjs" }),
  esbuild.build({ ...common, format: "cjs", entryPoints: ["relay/index.ts"], platform: "node", outfile: "dist/relay.js" }),
]).catch(() => {
  process.exitCode = 1;
});
