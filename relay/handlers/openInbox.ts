import { type Connection, markActive } from "../connection";
import type { RelayContext } from "../context";
import { keyExchangeSender, openInbox } from "../inbox";
import type { RequestId } from "../../sdk/relay/protocol";

/**
 * `openInbox`: from now on the connection receives the `keyRequest` and `keyResponse` frames
 * addressed to its signed-in address (it follows a re-auth), and is not closed as idle while
 * signed in. Needs a sign-in.
 *
 * @example
 * // -> {"type":"openInbox","id":4}
 * // <- {"type":"inboxOpen","id":4}
 */
export function handleOpenInbox(relay: RelayContext, connection: Connection, id: RequestId): void {
  keyExchangeSender(relay, connection);
  openInbox(relay, connection);
  markActive(connection);
  relay.send(connection, { type: "inboxOpen", id });
}
