import {
  type Hex,
  isAddressEqual,
  parseSignature,
  recoverTypedDataAddress,
  serializeCompactSignature,
  signatureToCompactSignature,
} from "viem";
import { getChainId, signTypedData } from "viem/actions";
import { readLatestBlock } from "../blocks";
import type { RegistryContext } from "../context";
import { InvalidArgumentError, MissingSignerError } from "../errors";
import type { RegistryCall } from "../signedChange/registryCall";
import type { SignedChange } from "../signedChange/signedChange";
import { signedChangeTypedData, type SignedChangeTypedData } from "../signedChange/typedData";
import { toKeywayError } from "../toKeywayError";
import { getUnusedNonces } from "./getUnusedNonces";

/** How long a signed change stays valid by default: one hour of chain time. */
export const DEFAULT_SIGNED_CHANGE_VALIDITY_SECONDS = 3600;

export interface SignChangeParameters {
  /** The write to sign, e.g. `grantPermissionsCall({ streamId, assignments })`. */
  call: RegistryCall;
  /** The nonce to spend; default: the signer's lowest unused one (`getUnusedNonces`). */
  nonce?: bigint;
  /** Last unix second at which the change may apply; default: the latest block's time plus one hour. */
  deadline?: bigint;
}

export type SignChangeReturnType = SignedChange;

/**
 * Signs a registry write with the context's signer (a private key, a viem wallet client, or an
 * ethers signer, as for writes) without sending anything: no transaction, no gas. Anyone may
 * then submit the result (`submitSignedChange`, `keyway tx submit`, a relay); it applies as if
 * the signer had sent the write. The wallet shows the EIP-712 struct of the change itself.
 *
 * @param context The registry context with a signer.
 * @param parameters The call, and optionally the nonce and deadline.
 * @returns The signed change, for `signedChangeToJSON` or `submitSignedChange`.
 * @throws MissingSignerError without a signer; InvalidArgumentError on a nonce or deadline out of range; RpcError when the node fails.
 * @example
 * const signed = await signChange(client.context, { call: grantPermissionsCall({ streamId, assignments }) });
 * await submitSignedChange(relayerClient.context, { signedChange: signed }); // from any funded account
 */
export async function signChange(context: RegistryContext, { call, nonce, deadline }: SignChangeParameters): Promise<SignChangeReturnType> {
  const { walletClient, publicClient, registryAddress } = context;
  if (walletClient === undefined) throw new MissingSignerError("signChange");
  for (const [name, value] of Object.entries({ nonce, deadline })) {
    if (value !== undefined && (value < 0n || value >= 2n ** 256n)) throw new InvalidArgumentError(`${name} must be a uint256, got ${value}`);
  }
  const signer = walletClient.account.address;
  try {
    const [chainId, [chosenNonce], chosenDeadline] = await Promise.all([
      context.expectedChainId ?? getChainId(publicClient),
      nonce === undefined ? getUnusedNonces(context, { signer }) : [nonce],
      deadline ?? readLatestBlock(context).then((block) => BigInt(block.timestamp + DEFAULT_SIGNED_CHANGE_VALIDITY_SECONDS)),
    ]);
    const by = { signer, nonce: chosenNonce, deadline: chosenDeadline };
    const typedData = signedChangeTypedData(call, by, { chainId, registryAddress });
    const signature = await signTypedData(walletClient, { account: walletClient.account, ...typedData } as Parameters<typeof signTypedData>[1]);
    return { ...call, chainId, registryAddress, ...by, signature: await compactIfKeySignature(typedData, signature, signer) } as SignedChange;
  } catch (error) {
    throw toKeywayError(error);
  }
}

/**
 * The 64-byte (ERC-2098) form of a signature made by the signer's own key, which the registry
 * accepts for one word less of calldata (about 140 gas); any other signature (an ERC-1271
 * wallet's) as it is, since the wallet checks its exact bytes.
 */
async function compactIfKeySignature(typedData: SignedChangeTypedData, signature: Hex, signer: Hex): Promise<Hex> {
  if (signature.length !== 132) return signature;
  try {
    const recovered = await recoverTypedDataAddress({ ...typedData, signature } as Parameters<typeof recoverTypedDataAddress>[0]);
    return isAddressEqual(recovered, signer) ? serializeCompactSignature(signatureToCompactSignature(parseSignature(signature))) : signature;
  } catch {
    return signature;
  }
}
