import path from "node:path";
import hre from "hardhat";
import { deployDeterministicStreamRegistry, type Deployment } from "../sdk";
import { writeDeployment } from "../sdk/node";

/**
 * Deploys StreamRegistry through the deterministic deployment proxy (installing it where
 * missing) to the network Hardhat is pointed at, from its first account, or finds it there, and
 * records it in deployments/<network>.json and deployments/<chainId>.json. For other chains:
 * `keyway deploy --rpc-url <url>` (docs/deploy.md).
 */
export async function deployRegistry(): Promise<Deployment> {
  const [deployer] = await hre.viem.getWalletClients();
  const { deployment } = await deployDeterministicStreamRegistry(deployer, { network: hre.network.name, installDeployer: true });
  const dir = path.join(hre.config.paths.root, "deployments");
  await writeDeployment(deployment, dir);
  await writeDeployment(deployment, dir, String(deployment.chainId));
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
