import type { Session } from "../session";
import { useSessionKey } from "../sessionKey";
import type { Transactions } from "../transactions";
import { GrantPanel } from "./GrantPanel";
import { LiveView } from "./LiveView";
import { PermissionsPanel } from "./PermissionsPanel";
import { SessionPanel } from "./SessionPanel";
import { StreamPanel } from "./StreamPanel";

interface Props {
  session: Session;
  streamId: string;
  relayUrl?: string;
  transactions: Transactions;
  refreshKey: number;
  onDeleted(): void;
}

/** The open stream's panels; the session key is the stream's, shared by the panel that starts it and the live view that uses it. */
export function OpenStream({ session, streamId, relayUrl, transactions, refreshKey, onDeleted }: Props) {
  const sessionKey = useSessionKey(session, streamId);
  return (
    <>
      <StreamPanel session={session} streamId={streamId} transactions={transactions} refreshKey={refreshKey} onDeleted={onDeleted} />
      <PermissionsPanel session={session} streamId={streamId} transactions={transactions} refreshKey={refreshKey} />
      {relayUrl !== undefined && <SessionPanel sessionKey={sessionKey} />}
      <GrantPanel session={session} streamId={streamId} refreshKey={refreshKey} />
      <LiveView session={session} streamId={streamId} relayUrl={relayUrl} sessionKey={sessionKey} />
    </>
  );
}
