import type { Account, Address, Chain, Client, Transport } from "viem";
import { getChainId, getCode } from "viem/actions";
import type { PermissionCache } from "./cache";
import { RegistryNotFoundError, WrongChainError } from "./errors";
import { toKeywayError } from "./toKeywayError";

/**
 * What every registry action needs: the clients, the registry and the chain it lives on.
 * Actions are plain functions of a context, as viem's actions are of a client; `KeywayClient`
 * builds one context and hands it to them.
 */
export interface RegistryContext {
  /** Reads go through it. A bare viem `Client`: actions are imported one by one, so bundles keep only those used. */
  publicClient: Client<Transport, Chain | undefined>;
  /** The signer's client; writes throw `MissingSignerError` without one. */
  walletClient?: Client<Transport, Chain | undefined, Account>;
  registryAddress: Address;
  /** Chain id the registry is configured on; the node is checked against it once. */
  expectedChainId?: number;
  /** Widest block range asked of `eth_getLogs` at once (nodes often cap it). */
  logPageSize: number;
  /** The permission cache and the registry's event watcher (with `cache: false`, it keeps nothing but still follows the chain's clock). */
  cache: PermissionCache;
  /** Settles once the node's chain id was checked against `expectedChainId`. */
  chainCheck?: Promise<void>;
  /** Settles once the registry address was found to hold code. */
  registryCheck?: Promise<void>;
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
