import type { TransactionEntry } from "../transactions";

const PHASE_TEXT = {
  checking: "checking with the registry…",
  signing: "waiting for the wallet…",
  pending: "pending: sent, waiting to be mined…",
  confirmed: "confirmed",
  failed: "failed",
  refused: "not sent, the registry would refuse it",
} as const;

/** Every write of this visit, newest first, with its phase: checking, signing, pending, confirmed, failed or refused. */
export function TransactionLog({ entries }: { entries: TransactionEntry[] }) {
  return (
    <section class="panel transactions" aria-labelledby="transactions-heading">
      <h2 id="transactions-heading">Transactions</h2>
      {entries.length === 0 ? (
        <p class="muted">None yet.</p>
      ) : (
        <div role="log" aria-labelledby="transactions-heading">
          <ol>
          {entries.map((entry) => (
            <li key={entry.id} class={`tx ${entry.phase}`}>
              <span class="label">{entry.label}</span>: <span class="phase">{PHASE_TEXT[entry.phase]}</span>
              {entry.blockNumber !== undefined && <> in block {String(entry.blockNumber)}</>}
              {entry.hash !== undefined && (
                <>
                  {" "}
                  <code title={entry.hash}>{entry.hash.slice(0, 10)}…</code>
                </>
              )}
              {entry.error !== undefined && <> — {entry.error}</>}
            </li>
          ))}
          </ol>
        </div>
      )}
    </section>
  );
}
