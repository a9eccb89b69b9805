import type { ConnectedAccount } from "../account";
import { useReading } from "../reading";
import { useSessionKey } from "../sessionKey";
import type { Transactions } from "../transactions";
import { GrantPanel } from "./GrantPanel";
import { LiveView } from "./LiveView";
import { PermissionsPanel } from "./PermissionsPanel";
import { SchemaPanel } from "./SchemaPanel";
import { SessionPanel } from "./SessionPanel";
import { StreamPanel } from "./StreamPanel";
import { WatchersPanel } from "./WatchersPanel";

interface Props {
  account: ConnectedAccount;
  streamId: string;
  relayUrl?: string;
  transactions: Transactions;
  refreshKey: number;
  onDeleted(): void;
}

/**
 * The open stream's panels; the session key is the stream's, shared by the panel that starts it and the live view that uses it,
 * and so are its permissions, read once for the table and for whether the stream is encrypted.
 */
export function OpenStream({ account, streamId, relayUrl, transactions, refreshKey, onDeleted }: Props) {
  const sessionKey = useSessionKey(account, streamId);
  const permissions = useReading(() => account.client.getPermissions(streamId), `${account.address} ${streamId}`, refreshKey);
  return (
    <>
      <StreamPanel account={account} streamId={streamId} assignments={permissions.value} transactions={transactions} refreshKey={refreshKey} onDeleted={onDeleted} />
      <SchemaPanel account={account} streamId={streamId} transactions={transactions} refreshKey={refreshKey} />
      <PermissionsPanel account={account} streamId={streamId} permissions={permissions} relayUrl={relayUrl} transactions={transactions} refreshKey={refreshKey} />
      {relayUrl !== undefined && <SessionPanel sessionKey={sessionKey} />}
      <GrantPanel account={account} streamId={streamId} refreshKey={refreshKey} />
      <LiveView account={account} streamId={streamId} relayUrl={relayUrl} sessionKey={sessionKey} />
      {relayUrl !== undefined && <WatchersPanel account={account} streamId={streamId} />}
    </>
  );
}
