import type { Address } from "viem";
import { InvalidKeyRequestError } from "../../sdk/encryption/errors";
import { checkKeyRequest, parseKeyRequest } from "../../sdk/encryption/keyRequest";
import { ErrorCode, type KeyRequestFrame, type RequestId } from "../../sdk/relay/protocol";
import type { Connection } from "../connection";
import type { RelayContext } from "../context";
import type { Fields } from "../fields";
import { forwardTo, keyExchangeSender, readRecipient } from "../inbox";
import { countedRead } from "../nodeReads";
import { RequestError } from "../requestError";

function readRecipients(relay: RelayContext, value: unknown): Address[] {
  const max = relay.limits.maxKeyRequestRecipients;
  if (!Array.isArray(value) || value.length === 0 || value.length > max) throw new RequestError(ErrorCode.INVALID_REQUEST, `to must list 1 to ${max} addresses`);
  return [...new Set(value.map((address) => readRecipient(address, "each of to")))];
}

function refusal(error: unknown): unknown {
  if (!(error instanceof InvalidKeyRequestError)) return error;
  return new RequestError(error.rule === "malformed" ? ErrorCode.INVALID_REQUEST : ErrorCode.UNAUTHORIZED, error.message);
}

/**
 * `keyRequest`: forwards a signed request for group keys to the inboxes of `to`, across the
 * cluster, once it passes the check every answering client makes too (`checkKeyRequest`:
 * fresh, signed by the requester or its session key, the requester holding Subscribe now,
 * directly, through its session's holder or through the access grant it carries), its
 * requester is this connection's signed-in address, and it was not forwarded before.
 * INVALID_REQUEST when malformed, UNAUTHORIZED when refused; the recipients never see it then.
 *
 * @example
 * // -> {"type":"keyRequest","id":5,"to":["0xf39f…"],"request":{"streamId":"0xf39f…/demo","requester":"0x7099…","publisher":"0xf39f…","publicKey":"0x…","groupKeyIds":["9c1e…"],"timestamp":1700000000000,"signature":"0x…"}}
 * // <- {"type":"forwarded","id":5}
 * // (to 0xf39f…'s inboxes) {"type":"keyRequest","from":"0x7099…","request":{…}}
 */
export async function handleKeyRequest(relay: RelayContext, connection: Connection, id: RequestId, fields: Fields): Promise<void> {
  const address = keyExchangeSender(relay, connection);
  const to = readRecipients(relay, fields.to);
  let request;
  try {
    if (parseKeyRequest(fields.request).requester !== address) {
      throw new InvalidKeyRequestError("signature", `the request is for another requester than ${address}, who is signed in here`);
    }
    ({ request } = await countedRead(relay, "subscribeReads", () => checkKeyRequest(relay.authority, fields.request, Date.now())));
    if (!relay.keyRequests.admit(request, Date.now())) throw new InvalidKeyRequestError("replayed", "it was forwarded already");
  } catch (error) {
    throw refusal(error);
  }
  const frame: KeyRequestFrame = { type: "keyRequest", from: address, request };
  await forwardTo(relay, to, JSON.stringify(frame));
  relay.send(connection, { type: "forwarded", id });
}
