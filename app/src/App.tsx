import { useEffect, useState } from "preact/hooks";
import { ConnectPanel } from "./components/ConnectPanel";
import { StreamRoute } from "./components/StreamRoute";
import { StreamsPanel } from "./components/StreamsPanel";
import { TransactionLog } from "./components/TransactionLog";
import type { AppConfig } from "./config";
import type { ConnectedAccount } from "./account";
import { navigate, streamHref, useRoute } from "./route";
import { useTransactions } from "./transactions";

/** The page: account, streams and the transaction log beside what the address names (a stream's tab, or the start). */
export function App({ config }: { config: AppConfig }) {
  const transactions = useTransactions();
  const [account, setAccount] = useState<ConnectedAccount>();
  const route = useRoute();
  // Every confirmed write may change what the panels show: they read the chain again.
  const refreshKey = transactions.entries.filter((entry) => entry.phase === "confirmed").length;

  // A replaced account's client stops its permission cache's watcher.
  useEffect(() => () => account?.client.destroy(), [account]);

  return (
    <>
      <header>
        <h1>Keyway</h1>
        <p class="muted">
          Stream permissions on {config.chainName}, registry <code>{config.registryAddress}</code>
        </p>
      </header>
      <main class="layout">
        <div class="side">
          <ConnectPanel
            config={config}
            account={account}
            onAccount={setAccount}
            onTransactionSent={transactions.onSent}
          />
          {account !== undefined && (
            <StreamsPanel account={account} deployBlock={config.deployBlock} transactions={transactions} refreshKey={refreshKey} onOpen={(streamId) => navigate(streamHref(streamId))} />
          )}
          <TransactionLog entries={transactions.entries} />
        </div>
        <div class="detail">
          <StreamRoute route={route} account={account} relayUrl={config.relayUrl} transactions={transactions} refreshKey={refreshKey} />
        </div>
      </main>
    </>
  );
}
