import { useEffect, useState } from "preact/hooks";
import { ConnectPanel } from "./components/ConnectPanel";
import { OpenStream } from "./components/OpenStream";
import { StreamsPanel } from "./components/StreamsPanel";
import { TransactionLog } from "./components/TransactionLog";
import type { AppConfig } from "./config";
import type { ConnectedAccount } from "./account";
import { useTransactions } from "./transactions";

/** The page: account, streams, the open stream with its permissions and live view, and the transaction log. */
export function App({ config }: { config: AppConfig }) {
  const transactions = useTransactions();
  const [account, setAccount] = useState<ConnectedAccount>();
  const [streamId, setStreamId] = useState<string>();
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
            onAccount={(next) => {
              setAccount(next);
              if (next === undefined) setStreamId(undefined);
            }}
            onTransactionSent={transactions.onSent}
          />
          {account !== undefined && (
            <StreamsPanel account={account} deployBlock={config.deployBlock} transactions={transactions} refreshKey={refreshKey} onOpen={setStreamId} />
          )}
          <TransactionLog entries={transactions.entries} />
        </div>
        <div class="detail">
          {account !== undefined && streamId === undefined && (
            <section class="panel">
              <p class="muted">Create a stream, or open one from your streams or by its id, to see its permissions and watch it live.</p>
            </section>
          )}
          {account !== undefined && streamId !== undefined && (
            <OpenStream
              account={account}
              streamId={streamId}
              relayUrl={config.relayUrl}
              transactions={transactions}
              refreshKey={refreshKey}
              onDeleted={() => setStreamId(undefined)}
            />
          )}
        </div>
      </main>
    </>
  );
}
