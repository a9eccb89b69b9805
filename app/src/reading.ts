import { useEffect, useState } from "preact/hooks";
import { describeError } from "./errors";

/** A chain read as a panel shows it: nothing yet, its value, or the sentence of its failure. */
export interface Reading<T> {
  value?: T;
  error?: string;
}

/**
 * Runs `read` when `key` (what is read: account, stream) or `refreshKey` (a write confirmed)
 * changes. While a refresh runs the previous value stays on screen; a new key starts empty,
 * and an answer that arrives after the next read started is dropped.
 */
export function useReading<T>(read: () => Promise<T>, key: string, refreshKey: number): Reading<T> {
  const [state, setState] = useState<Reading<T> & { key?: string }>({});
  useEffect(() => {
    let current = true;
    read().then(
      (value) => current && setState({ key, value }),
      (failure: unknown) => current && setState({ key, error: describeError(failure) }),
    );
    return () => {
      current = false;
    };
  }, [key, refreshKey]);
  return state.key === key ? state : {};
}
