import type { Connection, SignIn } from "./connection";
import type { RelayContext } from "./context";
import { recheckSignIn } from "./enforcement";
import { moveInbox } from "./inbox";

const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * Signs a connection in (or, with no sign-in, out). When the address or the delegation
 * changes, or when the sign-in's expiry passes, the connection's subscriptions are checked for
 * the new holder (the public, once expired), and those it may not have end with SESSION_EXPIRED.
 */
export function setSignIn(relay: RelayContext, connection: Connection, signIn: SignIn | undefined): void {
  const previous = connection.signIn;
  if (previous?.timer !== undefined) clearTimeout(previous.timer);
  connection.signIn = signIn;
  if (signIn?.expiresAt != null) armExpiry(relay, connection, signIn);
  const changed = previous?.address !== signIn?.address || previous?.delegation !== signIn?.delegation;
  if (!changed) return;
  moveInbox(relay, connection, previous?.address);
  for (const subscription of connection.subscriptions.values()) relay.index.rejoin(subscription);
  recheckSignIn(relay, connection);
}

function armExpiry(relay: RelayContext, connection: Connection, signIn: SignIn): void {
  const delay = signIn.expiresAt! - Date.now();
  // setTimeout fires at once beyond 2^31-1 ms: wait in steps.
  signIn.timer = setTimeout(() => {
    if (connection.signIn !== signIn) return;
    if (Date.now() >= signIn.expiresAt!) setSignIn(relay, connection, undefined);
    else armExpiry(relay, connection, signIn);
  }, Math.max(0, Math.min(delay, MAX_TIMEOUT_MS)));
}
