import type { Address, Chain, Client, Transport } from "viem";

/**
 * The part of a `RegistryContext` that reads the registry's chain: what the block readers,
 * the event watcher and the permission cache use. Declared apart from the context, which
 * holds the cache, so that the layers below it do not import it.
 */
export interface RegistryReader {
  /** Reads go through it. A bare viem `Client`: actions are imported one by one, so bundles keep only those used. */
  publicClient: Client<Transport, Chain | undefined>;
  registryAddress: Address;
  /** Widest block range asked of `eth_getLogs` at once (nodes often cap it). */
  logPageSize: number;
}
