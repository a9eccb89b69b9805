import { randomBytes } from "@noble/hashes/utils";
import { hashTypedData, type Address } from "viem";
import { InvalidArgumentError } from "../errors";
import { bytesToHex, hexToBytes } from "../message/hex";
import { toMessageSigner, type KeywayTypedData, type MessageSigner, type SignerSource } from "../message/signers";
import type { MessageDomain } from "../message/types";
import { parseAccessGrant, parseDelegation } from "./parse";
import { accessGrantTypedData, delegationTypedData } from "./typedData";
import type { AccessGrant, Delegation, SignedAccessGrant, SignedDelegation } from "./types";

export interface SignAuthorityOptions {
  /** The holder (for a delegation) or the issuer (for a grant): a private key, viem account, ethers signer or MessageSigner. */
  signer: SignerSource | MessageSigner;
  /** The chain and registry, as for messages. */
  domain: MessageDomain;
}

/** A fresh random `salt`. */
export function randomSalt(): `0x${string}` {
  return bytesToHex(randomBytes(32));
}

async function signTypedData(signer: SignerSource | MessageSigner, typedData: KeywayTypedData) {
  const messageSigner = toMessageSigner(signer);
  const signature = await messageSigner.sign({ digest: hexToBytes(hashTypedData(typedData as never)), typedData: () => typedData });
  return { signature, signer: (await messageSigner.getAddress()).toLowerCase() as Address };
}

/**
 * Signs a delegation with the holder's key (one wallet prompt). The delegation must be well
 * formed (InvalidDelegationError otherwise).
 *
 * @example
 * const delegation = await signDelegation(
 *   { delegate, streamIds: [streamId], permissions: PUBLISH_BIT, expiresAt: now + 3600, salt: randomSalt() },
 *   { signer: walletAccount, domain },
 * );
 */
export async function signDelegation(delegation: Delegation, { signer, domain }: SignAuthorityOptions): Promise<SignedDelegation> {
  const checked = parseDelegation({ ...delegation, signature: `0x${"0".repeat(130)}` });
  const { signature } = await signTypedData(signer, delegationTypedData(checked, domain));
  return { ...checked, signature };
}

/**
 * Signs an access grant with the issuer's key; the issuer needs Grant on the stream for the
 * grant to be honoured. The grant must be well formed (InvalidAccessGrantError otherwise).
 *
 * @example
 * const grant = await signAccessGrant(
 *   { grantee, streamId, permissions: SUBSCRIBE_BIT, expiresAt: now + 3600, salt: randomSalt() },
 *   { signer: backendKey, domain },
 * );
 */
export async function signAccessGrant(grant: AccessGrant, { signer, domain }: SignAuthorityOptions): Promise<SignedAccessGrant> {
  const placeholder = { ...grant, issuer: `0x${"0".repeat(40)}`, signature: `0x${"0".repeat(130)}` };
  const { issuer: _, signature: __, ...checked } = parseAccessGrant(placeholder);
  const signed = await signTypedData(signer, accessGrantTypedData(checked, domain));
  return { ...checked, issuer: signed.signer, signature: signed.signature };
}

/** Unix seconds of a Date that must lie in the future (InvalidArgumentError otherwise). */
export function futureUnixSeconds(expiresAt: Date, now: number = Date.now()): number {
  const time = expiresAt instanceof Date ? expiresAt.getTime() : Number.NaN;
  if (!Number.isFinite(time) || time <= now) throw new InvalidArgumentError(`expiresAt must be a Date in the future, got ${String(expiresAt)}`);
  return Math.floor(time / 1000);
}
