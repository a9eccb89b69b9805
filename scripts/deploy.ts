import path from "node:path";
import hre from "hardhat";
import { deployStreamRegistry, type Deployment } from "../sdk";
import { writeDeployment } from "../sdk/node";

/**
 * Deploys StreamRegistry to the network Hardhat is pointed at, from its first account, and
 * records it in deployments/<network>.json.
 */
export async function deployRegistry(): Promise<Deployment> {
  const [deployer] = await hre.viem.getWalletClients();
  const deployment = await deployStreamRegistry(deployer, { network: hre.network.name });
  await writeDeployment(deployment, path.join(hre.config.paths.root, "deployments"));
  return deployment;
}

if (require.main === module) {
  deployRegistry()
    .then((d) => console.log(`StreamRegistry deployed on ${d.network} (chain ${d.chainId}) at ${d.registryAddress}, block ${d.deployBlock}`))
    .catch((error) => {
      console.error(error instanceof Error ? error.message : error);
      process.exitCode = 1;
    });
}
