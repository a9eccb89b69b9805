import { normalizeStreamId } from "keyway";
import type { ConnectedAccount } from "../account";
import { describeError } from "../errors";
import { navigate, type Route } from "../route";
import type { Transactions } from "../transactions";
import { ErrorLine } from "./ErrorLine";
import { OpenStream } from "./OpenStream";

interface Props {
  route: Route;
  account?: ConnectedAccount;
  relayUrl?: string;
  transactions: Transactions;
  refreshKey: number;
}

/** What the address names: the start screen, a stream (once an account is connected), or, in words, why it names none. */
export function StreamRoute({ route, account, relayUrl, transactions, refreshKey }: Props) {
  if (route.page === "unknown") return <Problem message="This page does not exist: stream pages have addresses like #/streams/<stream id>." />;
  if (route.page === "home") {
    return account === undefined ? null : (
      <section class="panel">
        <p class="muted">Create a stream, or open one from your streams or by its id, to see its permissions and watch it live.</p>
      </section>
    );
  }
  let streamId: string;
  try {
    streamId = normalizeStreamId(route.streamId);
  } catch (failure) {
    return <Problem message={describeError(failure)} />;
  }
  if (account === undefined) {
    return (
      <section class="panel">
        <p role="status">
          Connect a wallet (or a development account) to open the stream <code>{streamId}</code>.
        </p>
      </section>
    );
  }
  return <OpenStream account={account} streamId={streamId} tab={route.tab} relayUrl={relayUrl} transactions={transactions} refreshKey={refreshKey} onDeleted={() => navigate("#/")} />;
}

function Problem({ message }: { message: string }) {
  return (
    <section class="panel" aria-labelledby="problem-heading">
      <h2 id="problem-heading">No stream here</h2>
      <ErrorLine message={message} />
      <p>
        <a href="#/">Back to the start</a>
      </p>
    </section>
  );
}
