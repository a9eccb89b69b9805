import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import hre from "hardhat";
import { getAddress } from "viem";
import type { Deployment } from "../sdk";

/** Deploys StreamRegistry to the network Hardhat is pointed at and records it. */
export async function deployRegistry(): Promise<Deployment> {
  const publicClient = await hre.viem.getPublicClient();
  const [deployer] = await hre.viem.getWalletClients();
  const { deploymentTransaction } = await hre.viem.sendDeploymentTransaction("StreamRegistry", [], {
    client: { wallet: deployer },
  });
  const receipt = await publicClient.waitForTransactionReceipt({ hash: deploymentTransaction.hash });
  if (!receipt.contractAddress) throw new Error(`deployment ${receipt.transactionHash} created no contract`);
  const deployment: Deployment = {
    network: hre.network.name,
    chainId: await publicClient.getChainId(),
    registryAddress: getAddress(receipt.contractAddress),
    deployBlock: Number(receipt.blockNumber),
    transactionHash: receipt.transactionHash,
  };
  const dir = path.join(hre.config.paths.root, "deployments");
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, `${hre.network.name}.json`), JSON.stringify(deployment, null, 2) + "\n");
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
