import { type Account, type Address, type Chain, type Client, getAddress, type Hash, type Transport } from "viem";
import { deployContract, getChainId, waitForTransactionReceipt } from "viem/actions";
import { streamRegistryAbi, streamRegistryBytecode } from "./abi";
import { ContractError } from "./errors";
import { toKeywayError } from "./toKeywayError";

/** What `deployments/<network>.json` holds: enough for the SDK and CLI to find the registry. */
export interface Deployment {
  network: string;
  chainId: number;
  registryAddress: Address;
  deployBlock: number;
  transactionHash: Hash;
}

/**
 * Deploys a StreamRegistry from `walletClient`'s account and waits for it to be mined. For
 * users' own tests and local demos; `network` names the result (default: the chain's name).
 */
export async function deployStreamRegistry(
  walletClient: Client<Transport, Chain | undefined, Account>,
  { network }: { network?: string } = {},
): Promise<Deployment> {
  try {
    const hash = await deployContract(walletClient, {
      abi: streamRegistryAbi,
      bytecode: streamRegistryBytecode,
      account: walletClient.account,
      chain: walletClient.chain ?? null,
    });
    const [receipt, chainId] = await Promise.all([waitForTransactionReceipt(walletClient, { hash }), getChainId(walletClient)]);
    if (receipt.status !== "success" || !receipt.contractAddress) throw new ContractError(`Deployment ${hash} created no contract`);
    return {
      network: network ?? walletClient.chain?.name ?? `chain-${chainId}`,
      chainId,
      registryAddress: getAddress(receipt.contractAddress),
      deployBlock: Number(receipt.blockNumber),
      transactionHash: hash,
    };
  } catch (error) {
    throw toKeywayError(error);
  }
}
