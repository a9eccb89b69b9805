import { KeywayClient } from "keyway";
import { type Address, type Chain, createPublicClient, createWalletClient, custom, defineChain, type EIP1193Provider, type Hash, getAddress, http } from "viem";
import type { AppConfig, DevAccount } from "./config";

/** Who the page acts as: an injected wallet's account, or a development account of the local chain. */
export interface ConnectedAccount {
  client: KeywayClient;
  /** Checksummed. */
  address: Address;
  kind: "wallet" | "development";
  /** What to call the signer on screen ("MetaMask", "Development account #1"). */
  label: string;
  /** The wallet's provider, for a wallet account. */
  provider?: EIP1193Provider;
}

/** A wallet that answered but is on another chain than the registry's. */
export interface WrongChain {
  wrongChain: true;
  actualChainId: number;
  provider: EIP1193Provider;
  label: string;
}

/** Where each write's transaction hash goes as soon as the wallet has sent it. */
export type OnTransactionSent = (hash: Hash, functionName: string) => void;

/** The registry's chain as viem describes chains; writes check the wallet is still on it. */
export function registryChain(config: AppConfig): Chain {
  return defineChain({
    id: config.chainId,
    name: config.chainName,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: config.rpcUrl === undefined ? [] : [config.rpcUrl] } },
  });
}

/**
 * Asks the wallet for its account (the wallet shows its own prompt) and its chain, and builds a
 * client that reads and writes through the wallet, as dApps do. On another chain, says so
 * instead of building a client that would fail on every call.
 */
export async function connectWallet(
  provider: EIP1193Provider,
  label: string,
  config: AppConfig,
  onTransactionSent: OnTransactionSent,
): Promise<ConnectedAccount | WrongChain> {
  const [account] = await provider.request({ method: "eth_requestAccounts" });
  if (account === undefined) throw new Error(`${label} shared no account with this page.`);
  const actualChainId = Number(await provider.request({ method: "eth_chainId" }));
  if (actualChainId !== config.chainId) return { wrongChain: true, actualChainId, provider, label };
  const address = getAddress(account);
  // A wallet is in the same browser: retrying its answers (viem's default) only delays errors.
  const walletClient = createWalletClient({ account: address, chain: registryChain(config), transport: custom(provider, { retryCount: 0 }) });
  // Reads and simulations go to the chain's node when the page knows it, as wagmi apps do: a
  // wallet may answer a reverted eth_call without its revert data, and the registry's error is lost.
  const publicClient = config.rpcUrl === undefined ? undefined : createPublicClient({ chain: registryChain(config), transport: http(config.rpcUrl) });
  const client = new KeywayClient({
    walletClient,
    publicClient,
    chain: registryChain(config),
    registryAddress: config.registryAddress,
    deployBlock: config.deployBlock,
    relayUrl: config.relayUrl,
    onTransactionSent,
  });
  return { client, address, kind: "wallet", label, provider };
}

/** An account signing with a development account's key, over the local chain's RPC URL. */
export function developmentAccount(account: DevAccount, index: number, config: AppConfig, onTransactionSent: OnTransactionSent): ConnectedAccount {
  const client = new KeywayClient({
    rpcUrl: config.rpcUrl,
    chain: registryChain(config),
    privateKey: account.privateKey,
    registryAddress: config.registryAddress,
    deployBlock: config.deployBlock,
    relayUrl: config.relayUrl,
    onTransactionSent,
  });
  return { client, address: getAddress(account.address), kind: "development", label: `Development account #${index}` };
}

/** Asks the wallet to switch to the registry's chain, adding the chain first if the wallet does not know it. */
export async function switchChain(provider: EIP1193Provider, config: AppConfig): Promise<void> {
  const chainId = `0x${config.chainId.toString(16)}` as const;
  try {
    await provider.request({ method: "wallet_switchEthereumChain", params: [{ chainId }] });
  } catch (error) {
    // 4902: the wallet does not know the chain.
    if ((error as { code?: unknown }).code !== 4902 || config.rpcUrl === undefined) throw error;
    await provider.request({
      method: "wallet_addEthereumChain",
      params: [{ chainId, chainName: config.chainName, nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 }, rpcUrls: [config.rpcUrl] }],
    });
  }
}
