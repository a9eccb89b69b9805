import {
  type Account,
  type Address,
  type Chain,
  type Client,
  createClient,
  getAddress,
  type Hex,
  isAddress,
  type Transport,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { getChainId, getCode } from "viem/actions";
import { createPermissionCache, type ExpiriesReading, type PermissionCache } from "./cache";
import type { Deployment } from "./deployment";
import { InvalidAddressError, InvalidArgumentError, RegistryNotFoundError, WrongChainError } from "./errors";
import { ethersAccount, type EthersProvider, ethersTransport } from "./ethers";
import { isPrivateKey } from "./privateKey";
import { toKeywayError } from "./toKeywayError";
import type { RegistryReader } from "./registryReader";
import { type NodeOptions, nodeTransport } from "./transport";

/**
 * What every registry action needs: the clients, the registry and the chain it lives on.
 * Actions are plain functions of a context, as viem's actions are of a client; `KeywayClient`
 * builds one context and hands it to them.
 */
export interface RegistryContext extends RegistryReader {
  /** The signer's client; writes throw `MissingSignerError` without one. */
  walletClient?: Client<Transport, Chain | undefined, Account>;
  /** Chain id the registry is configured on; the node is checked against it once. */
  expectedChainId?: number;
  /** The permission cache and the registry's event watcher (with `cache: false`, it keeps nothing but still follows the chain's clock). */
  cache: PermissionCache;
  /** Permission reads at the latest block now in flight, by stream key and holders: concurrent cache misses for the same entries share one. */
  permissionReads: Map<string, Promise<ExpiriesReading>>;
  /** Settles once the node's chain id was checked against `expectedChainId`. */
  chainCheck?: Promise<void>;
  /** Settles once the registry address was found to hold code. */
  registryCheck?: Promise<void>;
}

/** Where the node, the registry and the signer come from. Every field is optional; see `KeywayClient`. */
export interface ConnectionOptions extends NodeOptions {
  registryAddress?: string;
  /** Block of the registry's deployment (informational for tools such as the CLI). */
  deployBlock?: number;
  /** A parsed `deployments/<network>.json`: supplies chain id, registry address and deploy block. */
  deployment?: Deployment;
  /** A 0x private key: the signer, over `rpcUrl` (or the other transport given). */
  privateKey?: Hex;
  /** Widest block range per `eth_getLogs` request (default 5000; many hosted RPCs cap ranges). */
  logPageSize?: number;
  /** The permission cache: on by default (`maxAgeMs` 60 000); `false` turns it off. */
  cache?: { maxAgeMs?: number } | false;
  /** How often the registry's events are polled while something is cached or watched, in ms (default: the viem client's, 4000 over HTTP). */
  pollingInterval?: number;
}

const DEFAULT_LOG_PAGE_SIZE = 5_000;
const DEFAULT_CACHE_MAX_AGE_MS = 60_000;

/** Builds the context the actions run on from whatever combination of clients the user passed. */
export function createContext(options: ConnectionOptions): RegistryContext {
  const { deployment, chain } = options;
  const transport = nodeTransport(options);
  const publicClient = (options.publicClient ?? createClient({ transport, chain })) as RegistryContext["publicClient"];
  const logPageSize = options.logPageSize ?? DEFAULT_LOG_PAGE_SIZE;
  if (!Number.isSafeInteger(logPageSize) || logPageSize < 1) {
    throw new InvalidArgumentError(`logPageSize must be a positive integer, got ${logPageSize}`);
  }
  const maxAgeMs = (options.cache === false ? undefined : options.cache?.maxAgeMs) ?? DEFAULT_CACHE_MAX_AGE_MS;
  const pollingInterval = options.pollingInterval ?? publicClient.pollingInterval;
  for (const [name, value] of Object.entries({ maxAgeMs, pollingInterval })) {
    if (!Number.isFinite(value) || value <= 0) throw new InvalidArgumentError(`${name} must be a positive number of ms, got ${value}`);
  }
  const context: RegistryContext = {
    publicClient,
    walletClient: signerClient(options, transport, publicClient.chain ?? chain),
    registryAddress: registryAddressOf(options.registryAddress ?? deployment?.registryAddress),
    expectedChainId: expectedChainIdOf(chain?.id ?? publicClient.chain?.id, deployment?.chainId),
    logPageSize,
    cache: undefined!,
    permissionReads: new Map(),
  };
  context.cache = createPermissionCache(context, { enabled: options.cache !== false, maxAgeMs, pollingInterval });
  return context;
}

function signerClient(
  options: ConnectionOptions,
  transport: Transport,
  chain: Chain | undefined,
): Client<Transport, Chain | undefined, Account> | undefined {
  const signers = [options.walletClient, options.privateKey, options.ethersSigner].filter((s) => s !== undefined);
  if (signers.length > 1) throw new InvalidArgumentError("Pass only one of walletClient, privateKey and ethersSigner");
  if (options.walletClient !== undefined) {
    if (options.walletClient.account === undefined) throw new InvalidArgumentError("walletClient has no account");
    return options.walletClient as Client<Transport, Chain | undefined, Account>;
  }
  if (options.privateKey !== undefined) {
    if (!isPrivateKey(options.privateKey)) throw new InvalidArgumentError("privateKey must be 0x followed by 64 hex digits");
    return createClient({ account: privateKeyToAccount(options.privateKey), transport, chain });
  }
  if (options.ethersSigner !== undefined) {
    const provider = (options.ethersSigner.provider as EthersProvider | null) ?? options.ethersProvider;
    // A JSON-RPC signer sends through its own provider (the wallet); a local signer through any node.
    const signerTransport = provider ? ethersTransport(provider) : transport;
    return createClient({ account: ethersAccount(options.ethersSigner), transport: signerTransport, chain });
  }
  return undefined;
}

function registryAddressOf(address: string | undefined): Address {
  if (address === undefined) throw new InvalidArgumentError("No registry address: pass registryAddress or deployment");
  if (!isAddress(address)) throw new InvalidAddressError(address);
  return getAddress(address);
}

function expectedChainIdOf(chainId: number | undefined, deploymentChainId: number | undefined): number | undefined {
  if (chainId !== undefined && deploymentChainId !== undefined && chainId !== deploymentChainId) {
    throw new InvalidArgumentError(`chain ${chainId} does not match the deployment's chain ${deploymentChainId}`);
  }
  return chainId ?? deploymentChainId;
}

/** Throws `WrongChainError` if the node is not on the configured chain; asks the node only once. */
export function assertChain(context: RegistryContext): Promise<void> {
  const { expectedChainId } = context;
  if (expectedChainId === undefined) return Promise.resolve();
  if (context.chainCheck === undefined) {
    const check = getChainId(context.publicClient).then(
      (actual) => {
        if (actual !== expectedChainId) throw new WrongChainError(expectedChainId, actual);
      },
      (error: unknown) => {
        throw toKeywayError(error);
      },
    );
    // A wrong chain is remembered; an unreachable node is asked again next time.
    check.catch((error: unknown) => {
      if (!(error instanceof WrongChainError)) context.chainCheck = undefined;
    });
    context.chainCheck = check;
  }
  return context.chainCheck;
}

/**
 * Throws `RegistryNotFoundError` if the registry address holds no code. Writes need this: a
 * transaction to an address without code succeeds and does nothing. (Views there fail by
 * themselves, with no data, and `toKeywayError` reports that.) Asks the node once per context.
 */
export function assertRegistryDeployed(context: RegistryContext): Promise<void> {
  if (context.registryCheck === undefined) {
    const check = getCode(context.publicClient, { address: context.registryAddress }).then(
      (code) => {
        if (code === undefined || code === "0x") throw new RegistryNotFoundError(context.registryAddress);
      },
      (error: unknown) => {
        throw toKeywayError(error);
      },
    );
    // Only a success is remembered: the registry may be deployed later, the node come back.
    check.catch(() => {
      context.registryCheck = undefined;
    });
    context.registryCheck = check;
  }
  return context.registryCheck;
}
