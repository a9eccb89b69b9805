import { StreamPermission } from "keyway";
import { useState } from "preact/hooks";
import { formatTime, permissionLabel } from "../format";
import type { SessionKey } from "../sessionKey";
import { DelegationFields } from "./DelegationFields";
import { ErrorLine } from "./ErrorLine";

/** Starts a session key on the open stream (one wallet signature), shows it while active, and ends it. */
export function SessionPanel({ sessionKey }: { sessionKey: SessionKey }) {
  const [permissions, setPermissions] = useState<StreamPermission[]>([StreamPermission.PUBLISH]);
  const [durationMs, setDurationMs] = useState(3_600_000);
  const [error, setError] = useState<string>();
  const { state } = sessionKey;

  async function start(event: Event) {
    event.preventDefault();
    setError(undefined);
    if (permissions.length === 0) return setError("Check Publish, Subscribe or both.");
    setError(await sessionKey.start(permissions, new Date(Date.now() + durationMs)));
  }

  return (
    <section class="panel session-key" aria-labelledby="session-heading">
      <h2 id="session-heading">Session key</h2>
      {state.phase === "active" ? (
        <>
          <p role="status" class="held">
            Session active until {formatTime(state.expiresAt)} ({state.permissions.map(permissionLabel).join(", ")}): this page signs with a session key, with no
            wallet prompt.
          </p>
          <button type="button" onClick={sessionKey.end}>
            End session
          </button>
        </>
      ) : (
        <form onSubmit={start}>
          <p class="hint">
            Your wallet signs once, letting a key kept only in this page's memory act as your account on this stream until the session ends. It holds only
            while your account does.
          </p>
          <DelegationFields permissions={permissions} onPermissions={setPermissions} durationMs={durationMs} onDuration={setDurationMs} />
          <button type="submit" class="primary" disabled={state.phase === "starting"}>
            Start session
          </button>{" "}
          {state.phase === "starting" && <span role="status">Waiting for the wallet's signature…</span>}
        </form>
      )}
      <ErrorLine message={error ?? (state.phase === "ended" ? state.reason : undefined)} />
    </section>
  );
}
