import type { Hash } from "viem";
import { InvalidSignatureError, KeywayError, NonceCancelledError, NonceUsedError, RelayError, SignatureExpiredError } from "../errors";
import { signedChangeToJSON, type SignedChange } from "../signedChange/signedChange";
import type { RelaySession } from "./session";

export interface SponsorChangeParameters {
  /** A change signed by anyone (`signChange`, `parseSignedChange`): the relay pays, the signer needs no ETH. */
  signedChange: SignedChange;
}

/** The sponsored transaction, sent but not yet mined. */
export type SponsorChangeReturnType = Hash;

/**
 * Hands a signed registry change to the relay, which sends it from its sponsor key (a relay
 * started with `--sponsor-key`) once it simulated it; resolves with the transaction hash. The
 * session must be signed in (a client with a signer).
 *
 * @param session The client's relay session (`client.relaySession()`), signed in.
 * @param parameters The signed change.
 * @returns The hash of the transaction the relay sent.
 * @throws SignatureExpiredError, NonceUsedError, NonceCancelledError, InvalidSignatureError (the
 * relay's simulation refused it: nothing was sent), RelayError (CHANGE_REFUSED for other refusals,
 * RATE_LIMITED, UNAUTHORIZED without a sign-in, INVALID_REQUEST on a relay without a sponsor key),
 * RelayUnreachableError.
 * @example
 * const signed = await signChange(client.context, { call: grantPermissionsCall({ streamId, assignments }) });
 * const hash = await sponsorChange(client.relaySession(), { signedChange: signed });
 */
export async function sponsorChange(session: RelaySession, { signedChange }: SponsorChangeParameters): Promise<SponsorChangeReturnType> {
  const change = JSON.parse(signedChangeToJSON(signedChange)) as unknown;
  const reply = await session.connection.request({ type: "sponsor", change });
  return reply.transactionHash as Hash;
}

/**
 * The typed error for the relay's CHANGE_REFUSED of `change`: the one `submitSignedChange`
 * would have thrown for the same refusal (its `reason` is that error's code), else a RelayError.
 */
export function changeRefusalOf(reason: unknown, message: string, change: { signer?: unknown; nonce?: unknown; deadline?: unknown }): KeywayError {
  const signer = String(change.signer);
  const uint = (value: unknown) => (typeof value === "string" && /^\d+$/.test(value) ? BigInt(value) : 0n);
  const cause = new Error(`Relay: ${message}`);
  switch (reason) {
    case "SIGNATURE_EXPIRED":
      return new SignatureExpiredError(uint(change.deadline), { cause });
    case "NONCE_USED":
      return new NonceUsedError(signer, uint(change.nonce), { cause });
    case "NONCE_CANCELLED":
      return new NonceCancelledError(signer, uint(change.nonce), { cause });
    case "INVALID_SIGNATURE":
      return new InvalidSignatureError(signer, message, { cause });
    default:
      return new RelayError("CHANGE_REFUSED", "CHANGE_REFUSED", `Relay: ${message}`);
  }
}
