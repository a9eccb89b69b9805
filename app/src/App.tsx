import { useEffect, useState } from "preact/hooks";
import { ConnectPanel } from "./components/ConnectPanel";
import { OpenStream } from "./components/OpenStream";
import { StreamsPanel } from "./components/StreamsPanel";
import { TransactionLog } from "./components/TransactionLog";
import type { AppConfig } from "./config";
import type { Session } from "./session";
import { useTransactions } from "./transactions";

/** The page: account, streams, the open stream with its permissions and live view, and the transaction log. */
export function App({ config }: { config: AppConfig }) {
  const transactions = useTransactions();
  const [session, setSession] = useState<Session>();
  const [streamId, setStreamId] = useState<string>();
  // Every confirmed write may change what the panels show: they read the chain again.
  const refreshKey = transactions.entries.filter((entry) => entry.phase === "confirmed").length;

  // A replaced session's client stops its permission cache's watcher.
  useEffect(() => () => session?.client.destroy(), [session]);

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
            session={session}
            onSession={(next) => {
              setSession(next);
              if (next === undefined) setStreamId(undefined);
            }}
            onTransactionSent={transactions.onSent}
          />
          {session !== undefined && (
            <StreamsPanel session={session} deployBlock={config.deployBlock} transactions={transactions} refreshKey={refreshKey} onOpen={setStreamId} />
          )}
          <TransactionLog entries={transactions.entries} />
        </div>
        <div class="detail">
          {session !== undefined && streamId === undefined && (
            <section class="panel">
              <p class="muted">Create a stream, or open one from your streams or by its id, to see its permissions and watch it live.</p>
            </section>
          )}
          {session !== undefined && streamId !== undefined && (
            <OpenStream
              session={session}
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
