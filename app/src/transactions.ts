import type { Hash } from "viem";
import { useCallback, useRef, useState } from "preact/hooks";
import { describeError } from "./errors";

/**
 * Where a write is: simulated against the registry, in the wallet for signing, sent and waiting
 * to be mined, mined, failed; or refused by the simulation, before the wallet was asked.
 */
export type TransactionPhase = "checking" | "signing" | "pending" | "confirmed" | "failed" | "refused";

export interface TransactionEntry {
  id: number;
  /** What the user asked for, e.g. "Grant subscribe to 0x7099…79C8". */
  label: string;
  phase: TransactionPhase;
  hash?: Hash;
  blockNumber?: bigint;
  /** The sentence shown when it failed. */
  error?: string;
}

/** What a write resolves with: a receipt, or something that carries one (`createStream`'s Stream). */
type WriteResult = { blockNumber: bigint; receipt?: never } | { receipt?: { blockNumber: bigint }; blockNumber?: never };

export interface Transactions {
  entries: TransactionEntry[];
  /** True while a write is in the wallet or waiting to be mined: one at a time keeps nonces and the log simple. */
  busy: boolean;
  /**
   * Runs `check` (the write simulated: `simulationOf`), then, if it passed, the write, and records
   * the phases; resolves with the write's result, or with the failure's sentence.
   */
  run<T extends WriteResult>(label: string, check: () => Promise<void>, write: () => Promise<T>): Promise<{ result: T } | { error: string }>;
  /** For the client's `onTransactionSent`: the running write got its hash. */
  onSent(hash: Hash): void;
}

/** The page's transaction log, newest first. */
export function useTransactions(): Transactions {
  const [entries, setEntries] = useState<TransactionEntry[]>([]);
  const [busy, setBusy] = useState(false);
  const running = useRef<number | undefined>(undefined);
  const nextId = useRef(1);

  const update = useCallback((id: number, change: Partial<TransactionEntry>) => {
    setEntries((current) => current.map((entry) => (entry.id === id ? { ...entry, ...change } : entry)));
  }, []);

  const onSent = useCallback(
    (hash: Hash) => {
      if (running.current !== undefined) update(running.current, { phase: "pending", hash });
    },
    [update],
  );

  const run = useCallback(
    async <T extends WriteResult>(label: string, check: () => Promise<void>, write: () => Promise<T>) => {
      const id = nextId.current++;
      running.current = id;
      setBusy(true);
      setEntries((current) => [{ id, label, phase: "checking" as const }, ...current]);
      try {
        try {
          await check();
        } catch (failure) {
          const error = describeError(failure);
          update(id, { phase: "refused", error });
          return { error };
        }
        update(id, { phase: "signing" });
        const result = await write();
        update(id, { phase: "confirmed", blockNumber: "blockNumber" in result ? result.blockNumber : result.receipt?.blockNumber });
        return { result };
      } catch (failure) {
        const error = describeError(failure);
        update(id, { phase: "failed", error });
        return { error };
      } finally {
        running.current = undefined;
        setBusy(false);
      }
    },
    [update],
  );

  return { entries, busy, run, onSent };
}
