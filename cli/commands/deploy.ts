import path from "node:path";
import type { Command } from "commander";
import { createWalletClient, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { deployDeterministicStreamRegistry, MissingSignerError } from "../../sdk";
import { writeDeployment } from "../../sdk/node";
import { privateKey } from "../client";
import { formatFields } from "../format";
import { globalOptions } from "../options";
import { print } from "../output";

/** Development nodes start without the deployment proxy; `keyway deploy` installs it on them unasked. */
const DEVELOPMENT_NODE = /hardhat|anvil|ganache/i;

export function registerDeployCommand(program: Command): void {
  program
    .command("deploy")
    .description("deploy the registry through the deterministic deployment proxy: the same address on every chain; idempotent")
    .option("--network <name>", "a name for the deployment (default: chain-<id>)")
    .option("--install-proxy", "install the deployment proxy (0.01 ETH from your key) if the chain lacks it; automatic on a development node", false)
    .option("--deployments-dir <dir>", "where deployments/<chainId>.json is written", "deployments")
    .action((flags: { network?: string; installProxy: boolean; deploymentsDir: string }, command: Command) => deploy(command, flags));
}

async function deploy(command: Command, flags: { network?: string; installProxy: boolean; deploymentsDir: string }): Promise<void> {
  const options = globalOptions(command);
  const key = privateKey(options);
  if (key === undefined) throw new MissingSignerError("deploy");
  const walletClient = createWalletClient({ account: privateKeyToAccount(key), transport: http(options.rpcUrl, { retryCount: 0 }) });
  const request = walletClient.request as (args: { method: string }) => Promise<unknown>;
  const clientVersion = await request({ method: "web3_clientVersion" }).catch(() => "");
  const installDeployer = flags.installProxy || DEVELOPMENT_NODE.test(String(clientVersion));
  const { deployment, alreadyDeployed } = await deployDeterministicStreamRegistry(walletClient, { network: flags.network, installDeployer });
  const file = await writeDeployment(deployment, path.resolve(flags.deploymentsDir), String(deployment.chainId));
  const { registryAddress, chainId, deployBlock, transactionHash } = deployment;
  const summary = alreadyDeployed ? `StreamRegistry already deployed at ${registryAddress} on chain ${chainId}` : `Deployed StreamRegistry at ${registryAddress} on chain ${chainId}`;
  print(options, { ...deployment, alreadyDeployed, file }, () =>
    [summary, formatFields([["transaction", transactionHash], ["block", String(deployBlock)], ["saved in", path.relative(process.cwd(), file)]]).replace(/^/gm, "  ")].join("\n"),
  );
}
