import { type Address, type Hex, isAddress } from "viem";

/** A funded account of a local development chain, with its (public, test-only) key. */
export interface DevAccount {
  address: Address;
  privateKey: Hex;
}

/** Where the registry is: what the page needs before it can talk to anything. */
export interface AppConfig {
  chainId: number;
  /** A name for the chain, for messages such as "switch to …". */
  chainName: string;
  registryAddress: Address;
  /** Block of the registry's deployment: where log queries start. */
  deployBlock: number;
  /** A JSON-RPC URL of the chain: offered to a wallet that does not know the chain, and used by development accounts. */
  rpcUrl?: string;
  /** The relay's WebSocket URL, for the live view. */
  relayUrl?: string;
  /** Development accounts (local chains only): offered when no wallet is injected. */
  devAccounts: DevAccount[];
}

/** Name of the file beside index.html that `npm start` serves, and that a host may provide. */
export const CONFIG_FILE = "keyway.json";

/** Chain id of Hardhat's and Anvil's local node: the only chain development accounts are offered on. */
export const LOCAL_CHAIN_ID = 31337;

/**
 * The page's configuration: `keyway.json` beside the page, then the URL's query
 * (`?registry=0x…&chainId=…&deployBlock=…&rpcUrl=…&relayUrl=…`) over it. Throws a sentence
 * a user can act on when the registry or its chain is still unknown.
 */
export async function loadConfig(location: Location = window.location): Promise<AppConfig> {
  const file = await fetchConfigFile(new URL(CONFIG_FILE, location.href));
  const query = new URLSearchParams(location.search);
  const raw = {
    ...file,
    ...definedEntries({
      chainId: query.get("chainId"),
      chainName: query.get("chainName"),
      registryAddress: query.get("registry"),
      deployBlock: query.get("deployBlock"),
      rpcUrl: query.get("rpcUrl"),
      relayUrl: query.get("relayUrl"),
    }),
  };
  return parseConfig(raw);
}

async function fetchConfigFile(url: URL): Promise<Record<string, unknown>> {
  const response = await fetch(url, { cache: "no-store" }).catch(() => undefined);
  if (response === undefined || !response.ok) return {};
  try {
    return (await response.json()) as Record<string, unknown>;
  } catch {
    throw new Error(`${CONFIG_FILE} is not valid JSON`);
  }
}

function definedEntries(values: Record<string, string | null>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).filter((entry): entry is [string, string] => entry[1] !== null));
}

function parseConfig(raw: Record<string, unknown>): AppConfig {
  const registryAddress = String(raw.registryAddress ?? "");
  if (!isAddress(registryAddress)) {
    throw new Error(`No registry configured: serve a ${CONFIG_FILE} beside this page (npm start does), or add ?registry=0x…&chainId=… to the address.`);
  }
  const chainId = Number(raw.chainId);
  if (!Number.isSafeInteger(chainId) || chainId <= 0) throw new Error(`The configured chain id ${JSON.stringify(raw.chainId)} is not a positive integer.`);
  const deployBlock = raw.deployBlock === undefined ? 0 : Number(raw.deployBlock);
  if (!Number.isSafeInteger(deployBlock) || deployBlock < 0) throw new Error(`The configured deploy block ${JSON.stringify(raw.deployBlock)} is not a block number.`);
  const devAccounts = chainId === LOCAL_CHAIN_ID && Array.isArray(raw.devAccounts) ? (raw.devAccounts as DevAccount[]) : [];
  return {
    chainId,
    chainName: typeof raw.chainName === "string" ? raw.chainName : chainId === LOCAL_CHAIN_ID ? "the local development chain" : `chain ${chainId}`,
    registryAddress,
    deployBlock,
    rpcUrl: typeof raw.rpcUrl === "string" ? raw.rpcUrl : undefined,
    relayUrl: typeof raw.relayUrl === "string" ? raw.relayUrl : undefined,
    devAccounts,
  };
}
