import { isKeyResponse } from "../../sdk/encryption/keyResponse";
import { ErrorCode, type KeyResponseFrame, type RequestId } from "../../sdk/relay/protocol";
import type { Connection } from "../connection";
import type { RelayContext } from "../context";
import type { Fields } from "../fields";
import { forwardTo, keyExchangeSender, readRecipient } from "../inbox";
import { RequestError } from "../requestError";

/**
 * `keyResponse`: forwards group keys wrapped to a requester's one-time key to the inboxes of
 * `to`, across the cluster. The relay cannot open it; it checks the shape and bounds only
 * (a wrong key is caught by its recipient, on the first message it fails to authenticate).
 *
 * @example
 * // -> {"type":"keyResponse","id":6,"to":"0x7099…","response":{"streamId":"0xf39f…/demo","requestSignature":"0x…","publicKey":"0x…","ciphertext":"0x…"}}
 * // <- {"type":"forwarded","id":6}
 * // (to 0x7099…'s inboxes) {"type":"keyResponse","from":"0xf39f…","response":{…}}
 */
export async function handleKeyResponse(relay: RelayContext, connection: Connection, id: RequestId, fields: Fields): Promise<void> {
  const address = keyExchangeSender(relay, connection);
  const to = readRecipient(fields.to, "to");
  const { response } = fields;
  if (!isKeyResponse(response)) {
    throw new RequestError(ErrorCode.INVALID_REQUEST, "response must be {streamId, requestSignature, publicKey, ciphertext} of a key response");
  }
  const { streamId, requestSignature, publicKey, ciphertext } = response;
  const frame: KeyResponseFrame = { type: "keyResponse", from: address, response: { streamId, requestSignature, publicKey, ciphertext } };
  await forwardTo(relay, [to], JSON.stringify(frame));
  relay.send(connection, { type: "forwarded", id });
}
