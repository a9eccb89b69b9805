/**
 * One registry address on every EVM chain: the registry is deployed through the deterministic
 * deployment proxy (CREATE2 with a fixed salt), so its address depends only on its bytecode.
 */
import {
  type Account,
  type Address,
  type Chain,
  type Client,
  concat,
  getAddress,
  getContractAddress,
  type Hash,
  type Hex,
  isAddressEqual,
  keccak256,
  type PublicClient,
  toHex,
  type Transport,
} from "viem";
import { getBlock, getBlockNumber, getChainId, getCode, sendRawTransaction, sendTransaction, waitForTransactionReceipt } from "viem/actions";
import { streamRegistryBytecode } from "./abi";
import type { Deployment } from "./deployment";
import { ContractError } from "./errors";
import { toKeywayError } from "./toKeywayError";

/**
 * Arachnid's deterministic deployment proxy, at the same address on every chain that has it
 * (https://github.com/Arachnid/deterministic-deployment-proxy): calldata `salt ‖ initCode`
 * deploys `initCode` with CREATE2 and returns the address.
 */
export const DETERMINISTIC_DEPLOYER: Address = "0x4e59b44847b379578588920cA78FbF26c0B4956C";
/** The one-time signer of the proxy's pre-signed deployment: whoever funds it can install the proxy. */
export const DETERMINISTIC_DEPLOYER_SIGNER: Address = "0x3fab184622dc19b6109349b94811493bf2a45362";
/**
 * The proxy's pre-signed deployment transaction (nonce 0, 100 gwei, 100,000 gas, no chain id, so
 * it is valid on every chain that accepts transactions without EIP-155 replay protection).
 */
const DETERMINISTIC_DEPLOYER_TRANSACTION: Hex =
  "0xf8a58085174876e800830186a08080b853604580600e600039806000f350fe7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe03601600081602082378035828234f58015156039578182fd5b8082525050506014600cf31ba02222222222222222222222222222222222222222222222222222222222222222a02222222222222222222222222222222222222222222222222222222222222222";
/** What the signer must hold for it: gas price times gas limit. */
const DETERMINISTIC_DEPLOYER_COST = 100_000_000_000n * 100_000n;

/** The CREATE2 salt of every Keyway registry deployment. */
export const STREAM_REGISTRY_SALT: Hex = keccak256(toHex("keyway.StreamRegistry"));

/**
 * Where this SDK's StreamRegistry bytecode lives on any chain once deployed through the proxy.
 *
 * @returns The registry's address, the same on every EVM chain.
 * @example
 * const registryAddress = streamRegistryAddress(); // then check it has code on your chain
 */
export function streamRegistryAddress(): Address {
  return getContractAddress({ opcode: "CREATE2", from: DETERMINISTIC_DEPLOYER, salt: STREAM_REGISTRY_SALT, bytecode: streamRegistryBytecode });
}

type WalletClient = Client<Transport, Chain | undefined, Account>;

/**
 * Installs the deterministic deployment proxy where it is missing: funds its one-time signer
 * from `walletClient`'s account (0.01 ETH) and sends the proxy's pre-signed transaction. For
 * development chains, which start without it; public chains have it already.
 *
 * @returns Whether it was installed now (false: it was there).
 * @throws ContractError when the node refuses the pre-signed transaction (a chain that requires EIP-155).
 * @example
 * await installDeterministicDeployer(walletClient);
 */
export async function installDeterministicDeployer(walletClient: WalletClient): Promise<boolean> {
  try {
    if (await hasCode(walletClient, DETERMINISTIC_DEPLOYER)) return false;
    const funding = await sendTransaction(walletClient, {
      account: walletClient.account,
      chain: walletClient.chain ?? null,
      to: DETERMINISTIC_DEPLOYER_SIGNER,
      value: DETERMINISTIC_DEPLOYER_COST,
    });
    await waitForTransactionReceipt(walletClient, { hash: funding });
    const hash = await sendRawTransaction(walletClient, { serializedTransaction: DETERMINISTIC_DEPLOYER_TRANSACTION });
    await waitForTransactionReceipt(walletClient, { hash });
    if (!(await hasCode(walletClient, DETERMINISTIC_DEPLOYER))) throw new ContractError(`The deterministic deployment proxy was not installed (transaction ${hash})`);
    return true;
  } catch (error) {
    throw toKeywayError(error);
  }
}

export interface DeployDeterministicStreamRegistryParameters {
  /** Names the deployment (default: the chain's name, else `chain-<id>`). */
  network?: string;
  /** Install the deployment proxy first if the chain lacks it (development chains). */
  installDeployer?: boolean;
}

export interface DeployDeterministicStreamRegistryReturnType {
  deployment: Deployment;
  /** The registry was there already: nothing was sent. */
  alreadyDeployed: boolean;
}

/**
 * Deploys the registry at `streamRegistryAddress()` through the deterministic deployment proxy,
 * or finds it there: idempotent. Checks the code at the address afterwards.
 *
 * @param walletClient Pays for the deployment (about 3.4 M gas); any account.
 * @param parameters The deployment's name, and whether to install the proxy where missing.
 * @returns The deployment (block and transaction of the original deployment when it was there already) and whether it was.
 * @throws ContractError when the proxy is missing (and not to be installed) or the deployment left no code.
 * @example
 * const { deployment, alreadyDeployed } = await deployDeterministicStreamRegistry(walletClient, { network: "base" });
 */
export async function deployDeterministicStreamRegistry(
  walletClient: WalletClient,
  { network, installDeployer = false }: DeployDeterministicStreamRegistryParameters = {},
): Promise<DeployDeterministicStreamRegistryReturnType> {
  const registryAddress = streamRegistryAddress();
  const chainId = await getChainId(walletClient).catch((error: unknown) => Promise.reject(toKeywayError(error)));
  const name = network ?? walletClient.chain?.name ?? `chain-${chainId}`;
  const found = await findDeterministicDeployment(walletClient as unknown as PublicClient, registryAddress);
  if (found !== undefined) return { deployment: { network: name, chainId, registryAddress, ...found }, alreadyDeployed: true };
  if (installDeployer) await installDeterministicDeployer(walletClient);
  try {
    if (!(await hasCode(walletClient, DETERMINISTIC_DEPLOYER))) {
      throw new ContractError(`The deterministic deployment proxy ${DETERMINISTIC_DEPLOYER} is not on chain ${chainId}: install it first (keyway deploy --install-proxy, docs/deploy.md)`);
    }
    const hash = await sendTransaction(walletClient, {
      account: walletClient.account,
      chain: walletClient.chain ?? null,
      to: DETERMINISTIC_DEPLOYER,
      data: concat([STREAM_REGISTRY_SALT, streamRegistryBytecode]),
    });
    const receipt = await waitForTransactionReceipt(walletClient, { hash });
    if (receipt.status !== "success" || !(await hasCode(walletClient, registryAddress))) {
      throw new ContractError(`Deployment ${hash} left no StreamRegistry at ${registryAddress}`);
    }
    return { deployment: { network: name, chainId, registryAddress, deployBlock: Number(receipt.blockNumber), transactionHash: hash }, alreadyDeployed: false };
  } catch (error) {
    throw toKeywayError(error);
  }
}

/**
 * The block and transaction that deployed this SDK's registry through the proxy, if the
 * registry is there: the block by bisecting `eth_getCode` over history, the transaction as the
 * one in it sent to the proxy with the registry's salt and code. A node without history (it
 * refuses old state) leaves block 0 and a zero hash: the registry is there all the same.
 */
async function findDeterministicDeployment(client: PublicClient, registryAddress: Address): Promise<{ deployBlock: number; transactionHash: Hash } | undefined> {
  try {
    if (!(await hasCode(client, registryAddress))) return undefined;
  } catch (error) {
    throw toKeywayError(error);
  }
  try {
    let [low, high] = [0n, await getBlockNumber(client)];
    while (low < high) {
      const middle = (low + high) / 2n;
      if (await hasCode(client, registryAddress, middle)) high = middle;
      else low = middle + 1n;
    }
    const input = concat([STREAM_REGISTRY_SALT, streamRegistryBytecode]).toLowerCase();
    const block = await getBlock(client, { blockNumber: high, includeTransactions: true });
    const transaction = block.transactions.find((tx) => tx.to !== null && isAddressEqual(tx.to, DETERMINISTIC_DEPLOYER) && tx.input.toLowerCase() === input);
    return { deployBlock: Number(high), transactionHash: transaction?.hash ?? ZERO_HASH };
  } catch {
    return { deployBlock: 0, transactionHash: ZERO_HASH };
  }
}

const ZERO_HASH: Hash = `0x${"0".repeat(64)}`;

async function hasCode(client: Client, address: Address, blockNumber?: bigint): Promise<boolean> {
  const code = await getCode(client, { address: getAddress(address), blockNumber });
  return code !== undefined && code !== "0x";
}
