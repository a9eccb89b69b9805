import type { Hash, TransactionReceipt } from "viem";
import { settleWrite } from "../actions/writeRegistry";
import { signedChangeToJSON, type SignedChange } from "../signedChange/signedChange";
import { toKeywayError } from "../toKeywayError";
import type { RelaySession } from "./session";

export interface SponsorChangeParameters {
  /** A change signed by anyone (`signChange`, `parseSignedChange`): the relay pays, the signer needs no ETH. */
  signedChange: SignedChange;
  /** Called with the transaction hash as soon as the relay sent it, before it is mined. */
  onSent?: (hash: Hash) => void;
}

/** The receipt of the relay's transaction. */
export type SponsorChangeReturnType = TransactionReceipt;

/**
 * Hands a signed registry change to the relay, which sends it from its sponsor key (a relay
 * started with `--sponsor-key`) once it simulated it; resolves with the receipt once mined (the
 * cache forgets what it changed, as after a write of this client's). The session must be signed
 * in (a client with a signer).
 *
 * @param session The client's relay session (`client.relaySession()`), signed in.
 * @param parameters The signed change.
 * @returns The receipt of the transaction the relay sent.
 * @throws SignatureExpiredError, NonceUsedError, NonceCancelledError, InvalidSignatureError (the
 * relay's simulation refused it: nothing was sent), RelayError (CHANGE_REFUSED for other refusals,
 * RATE_LIMITED, UNAUTHORIZED without a sign-in, INVALID_REQUEST on a relay without a sponsor key),
 * RelayUnreachableError.
 * @example
 * const signed = await signChange(client.context, { call: grantPermissionsCall({ streamId, assignments }) });
 * const receipt = await client.sponsorChange(signed); // or sponsorChange(session, { signedChange: signed, onSent })
 */
export async function sponsorChange(session: RelaySession, { signedChange, onSent }: SponsorChangeParameters): Promise<SponsorChangeReturnType> {
  const change = JSON.parse(signedChangeToJSON(signedChange)) as unknown;
  const reply = await session.connection.request({ type: "sponsor", change });
  const hash = reply.transactionHash as Hash;
  onSent?.(hash);
  return settleWrite(session.context, hash, `${signedChange.functionName}BySig`).catch((error: unknown) => Promise.reject(toKeywayError(error)));
}

