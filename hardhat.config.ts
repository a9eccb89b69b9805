import { HardhatUserConfig, subtask } from "hardhat/config";
import { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } from "hardhat/builtin-tasks/task-names";
import "@nomicfoundation/hardhat-toolbox";
import "@nomicfoundation/hardhat-viem";

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

const config: HardhatUserConfig = {
  solidity: {
    version: SOLC,
    settings: { optimizer: { enabled: true, runs: 10000 }, evmVersion: "cancun" },
  },
  networks: {
    localhost: { url: process.env.KEYWAY_RPC_URL ?? "http://127.0.0.1:8545" },
  },
  mocha: { timeout: 120_000 },
};

export default config;
