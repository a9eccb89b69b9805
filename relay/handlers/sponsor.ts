import { InvalidArgumentError } from "../../sdk/errors";
import { ErrorCode, type RequestId } from "../../sdk/relay/protocol";
import { parseSignedChange, type SignedChange } from "../../sdk/signedChange/signedChange";
import { type Connection, holderOf } from "../connection";
import type { RelayContext } from "../context";
import type { Fields } from "../fields";
import { RequestError } from "../requestError";
import { sponsorChange } from "../sponsor";

/**
 * `sponsor`: sends a signed registry change from the relay's sponsor key (`--sponsor-key`),
 * for a signed-in connection, after simulating it; answers with the transaction hash once sent.
 *
 * @example
 * // -> {"type":"sponsor","id":4,"change":{"format":"keyway-signed-change/1","chainId":31337,...,"signature":"0x..."}}
 * // <- {"type":"sponsored","id":4,"transactionHash":"0x5f35..."}
 * // <- {"type":"error","id":5,"code":"CHANGE_REFUSED","reason":"NONCE_USED","message":"Nonce 0 of 0xf39f... was already used: ..."}
 */
export async function handleSponsor(relay: RelayContext, connection: Connection, id: RequestId, fields: Fields): Promise<void> {
  const { sponsor } = relay;
  if (sponsor === undefined) throw new RequestError(ErrorCode.INVALID_REQUEST, "this relay does not sponsor changes (started without a sponsor key)");
  if (holderOf(connection) === undefined) throw new RequestError(ErrorCode.UNAUTHORIZED, "sign in (auth) before asking for a sponsored change");
  const change = readChange(fields.change);
  if (change.chainId !== relay.chainId || change.registryAddress.toLowerCase() !== relay.registryAddress.toLowerCase()) {
    throw new RequestError(ErrorCode.CHANGE_REFUSED, `signed for chain ${change.chainId} and registry ${change.registryAddress}, not this relay's`, "INVALID_SIGNATURE");
  }
  const transactionHash = await sponsorChange(sponsor, change, relay.limits);
  relay.send(connection, { type: "sponsored", id, transactionHash });
}

function readChange(value: unknown): SignedChange {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new RequestError(ErrorCode.INVALID_REQUEST, "change must be a signed change object");
  try {
    return parseSignedChange(JSON.stringify(value));
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw new RequestError(ErrorCode.INVALID_REQUEST, error.message);
    throw error;
  }
}
