import { streamKeyOf } from "keyway";
import type { ConnectedAccount } from "../account";
import { expiriesOf, permissionsOf } from "../holdings";
import { useReading } from "../reading";
import { useRegistryVersion } from "../registryVersion";
import type { StreamTab } from "../route";
import { useSessionKey } from "../sessionKey";
import type { Transactions } from "../transactions";
import { EncryptionNote } from "./EncryptionNote";
import { ErrorLine } from "./ErrorLine";
import { GrantPanel } from "./GrantPanel";
import { LiveView } from "./LiveView";
import { PermissionsPanel } from "./PermissionsPanel";
import { SchemaPanel } from "./SchemaPanel";
import { SessionPanel } from "./SessionPanel";
import { StreamPanel } from "./StreamPanel";
import { StreamTabs } from "./StreamTabs";
import { WatchersPanel } from "./WatchersPanel";

interface Props {
  account: ConnectedAccount;
  streamId: string;
  tab: StreamTab;
  relayUrl?: string;
  transactions: Transactions;
  refreshKey: number;
  onDeleted(): void;
}

/**
 * The open stream: its metadata and holders, read once for every tab and again whenever the
 * registry's events change them (or a shown expiry passes), and its Overview, Access and Live
 * tabs. The session key is the stream's, shared by the panel that starts it and the live view.
 */
export function OpenStream({ account, streamId, tab, relayUrl, transactions, refreshKey, onDeleted }: Props) {
  const key = `${account.address} ${streamId}`;
  const sessionKey = useSessionKey(account, streamId);
  const streamKey = streamKeyOf(streamId);
  // The expiries are those of the holders read at the latest render, looked at when a poll comes.
  const version = useRegistryVersion(account.client, { affects: (change) => change.streamKey === streamKey, expiries: () => expiriesOf(permissions.value) });
  const reads = refreshKey + version;
  const permissions = useReading(() => account.client.getPermissions(streamId), key, reads);
  const metadata = useReading(() => account.client.getStreamMetadata(streamId), key, reads);
  const held = permissions.value === undefined ? undefined : permissionsOf(permissions.value, account.address);

  return (
    <section class="panel stream" aria-labelledby="stream-heading">
      <h2 id="stream-heading">
        Stream <code>{streamId}</code>
      </h2>
      <EncryptionNote assignments={permissions.value} />
      {metadata.error !== undefined ? (
        <ErrorLine message={metadata.error} />
      ) : (
        <StreamTabs
          streamId={streamId}
          tab={tab}
          panels={{
            overview: (
              <>
                <StreamPanel account={account} streamId={streamId} metadata={metadata.value} held={held} transactions={transactions} onDeleted={onDeleted} />
                <SchemaPanel account={account} streamId={streamId} metadata={metadata.value} held={held} transactions={transactions} />
              </>
            ),
            access: (
              <>
                <PermissionsPanel account={account} streamId={streamId} permissions={permissions} held={held} relayUrl={relayUrl} transactions={transactions} refreshKey={reads} />
                <GrantPanel account={account} streamId={streamId} refreshKey={reads} />
              </>
            ),
            live: (
              <>
                <LiveView account={account} streamId={streamId} relayUrl={relayUrl} sessionKey={sessionKey} held={held} />
                {relayUrl !== undefined && <SessionPanel sessionKey={sessionKey} />}
                {relayUrl !== undefined && <WatchersPanel account={account} streamId={streamId} />}
              </>
            ),
          }}
        />
      )}
    </section>
  );
}
