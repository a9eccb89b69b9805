import { fromPermissionBits, KeywayError, type MessageRejectedError, type Session as KeywaySession, type StreamPermission } from "keyway";
import { useEffect, useRef, useState } from "preact/hooks";
import { describeError } from "./errors";
import { formatTime } from "./format";
import type { ConnectedAccount } from "./account";

/** The page's session key on the open stream: none yet, being signed, active, or ended (and why). */
export type SessionKeyState =
  | { phase: "none" }
  | { phase: "starting" }
  | { phase: "active"; session: KeywaySession; permissions: StreamPermission[]; expiresAt: Date }
  | { phase: "ended"; reason: string };

export interface SessionKey {
  state: SessionKeyState;
  /** Asks the wallet for its one signature; resolves with the failure's sentence, or undefined once active. */
  start(permissions: StreamPermission[], expiresAt: Date): Promise<string | undefined>;
  /** Ends the session at the user's request: the key is forgotten. */
  end(): void;
  /**
   * Ends the session, saying why, when `error` (from a use of it) is the relay refusing it,
   * and returns true; returns false for any other failure.
   */
  failed(error: unknown): boolean;
}

/**
 * A session key for `streamId`, created with `client.createSession` (one wallet signature), kept
 * in this page's memory only, and closed when it expires, is ended or refused, or when the
 * account or the stream changes.
 */
export function useSessionKey(account: ConnectedAccount, streamId: string): SessionKey {
  const [state, setState] = useState<SessionKeyState>({ phase: "none" });
  const current = useRef<KeywaySession | undefined>(undefined);
  // Bumped when the account or stream changes: a signature that comes back after that is for a page no longer shown.
  const generation = useRef(0);

  const close = (next: SessionKeyState) => {
    current.current?.close();
    current.current = undefined;
    setState(next);
  };

  useEffect(
    () => () => {
      generation.current++;
      close({ phase: "none" });
    },
    [account, streamId],
  );

  // The page says when the session expires rather than waiting for the relay to refuse a message.
  useEffect(() => {
    if (state.phase !== "active") return undefined;
    const timer = setTimeout(
      () => close({ phase: "ended", reason: `The session expired at ${formatTime(state.expiresAt)}: start a new one to publish without wallet prompts.` }),
      state.expiresAt.getTime() - Date.now(),
    );
    return () => clearTimeout(timer);
  }, [state]);

  async function start(permissions: StreamPermission[], expiresAt: Date): Promise<string | undefined> {
    setState({ phase: "starting" });
    const started = generation.current;
    try {
      const session = await account.client.createSession({ streamIds: [streamId], permissions, expiresAt });
      if (generation.current !== started) {
        session.close();
        return undefined;
      }
      current.current?.close();
      current.current = session;
      setState({ phase: "active", session, permissions: fromPermissionBits(session.delegation.permissions), expiresAt: new Date(session.delegation.expiresAt * 1000) });
      return undefined;
    } catch (failure) {
      setState({ phase: "none" });
      return describeError(failure);
    }
  }

  return {
    state,
    start,
    end: () => close({ phase: "none" }),
    failed: (error) => {
      if (!isRefusal(error)) return false;
      close({ phase: "ended", reason: "The session has ended: the relay refused it (it has expired, or your account no longer holds the permission on this stream)." });
      return true;
    },
  };
}

/** A message refused for its delegation, or the session key's sign-in refused (the relay checks the delegation there too). */
function isRefusal(error: unknown): boolean {
  if (!(error instanceof KeywayError)) return false;
  return error.code === "AUTH_FAILED" || (error.code === "MESSAGE_REJECTED" && (error as MessageRejectedError).reason === "invalid-delegation");
}
