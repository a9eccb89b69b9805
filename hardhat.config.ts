import { HardhatUserConfig, subtask, task } from "hardhat/config";
import { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, TASK_TEST } from "hardhat/builtin-tasks/task-names";
import "@nomicfoundation/hardhat-toolbox";
import "@nomicfoundation/hardhat-viem";
import { findSystemBinaries, reportMissingBinaries } from "./scripts/systemBinaries";

// Hardhat downloads native compilers by default; this machine reaches only the npm
// registry, so serve the solc-js build of the `solc` package instead.
const SOLC = "0.8.28"; // must equal the `solc` package version in package.json
subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, async (args: { solcVersion: string }, _hre, runSuper) => {
  if (args.solcVersion !== SOLC) return runSuper(args);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const solc = require("solc");
  return {
    compilerPath: require.resolve("solc/soljson.js"),
    isSolcJs: true,
    version: SOLC,
    longVersion: solc.version().replace(/\.Emscripten\.clang$/, ""),
  };
});

// The whole suite (`npm test`) needs redis-server and Chromium: without one, stop before compiling
// and before the first test with one line each, rather than fail a hundred tests. A run of chosen
// files goes ahead: those that spawn a missing binary fail with the same line.
task(TASK_TEST, async (args: { testFiles: string[] }, _hre, runSuper) => {
  if (args.testFiles.length === 0 && !reportMissingBinaries(findSystemBinaries(process.env))) process.exit(1);
  return runSuper(args);
});

const config: HardhatUserConfig = {
  solidity: {
    compilers: [{ version: SOLC, settings: { optimizer: { enabled: true, runs: 10000 }, evmVersion: "cancun" } }],
    overrides: {
      // The registry through the IR pipeline: its direct writes are cheaper there, and its
      // signed twins' overhead (nonce, signature, EIP-712 hashing) drops by ~400 gas (docs/contract.md, Gas).
      "contracts/StreamRegistry.sol": {
        version: SOLC,
        settings: { optimizer: { enabled: true, runs: 50000 }, evmVersion: "cancun", viaIR: true },
      },
    },
  },
  networks: {
    // A node started for a test of another chain (scripts/localNode.ts `chainId`) reads its id here.
    hardhat: { chainId: Number(process.env.KEYWAY_HARDHAT_CHAIN_ID ?? 31337) },
    localhost: { url: process.env.KEYWAY_RPC_URL ?? "http://127.0.0.1:8545" },
  },
  mocha: { timeout: 120_000 },
};

export default config;
