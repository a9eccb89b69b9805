import type { Account, Address, Chain, Client, Transport } from "viem";
import { signTypedData } from "viem/actions";
import { canonicalSignature } from "../message/signature";
import type { RegistryContext } from "../context";
import type { ConnectionOptions } from "../createContext";
import { type MessageSigner, toMessageSigner } from "../message/signers";

/**
 * A MessageSigner for a viem wallet client's account: local accounts sign in process, a
 * JSON-RPC account (a browser wallet) is asked through `eth_signTypedData_v4`.
 *
 * @example
 * const signer = walletClientSigner(client.context.walletClient!);
 */
export function walletClientSigner(walletClient: Client<Transport, Chain | undefined, Account>): MessageSigner {
  const { account } = walletClient;
  const address = account.address.toLowerCase() as Address;
  return {
    getAddress: () => address,
    sign: async ({ typedData }) => canonicalSignature(await signTypedData(walletClient, { account, ...typedData() })),
  };
}

/**
 * The signer of a client's messages: its private key (signing digests natively, the fast
 * path), its ethers signer, or its wallet client's account; undefined without a signer.
 */
export function clientMessageSigner(options: Pick<ConnectionOptions, "privateKey" | "ethersSigner">, context: RegistryContext): MessageSigner | undefined {
  if (options.privateKey !== undefined) return toMessageSigner(options.privateKey);
  if (options.ethersSigner !== undefined) return toMessageSigner(options.ethersSigner);
  return context.walletClient && walletClientSigner(context.walletClient);
}
