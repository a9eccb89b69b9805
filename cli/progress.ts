import type { Hash } from "viem";

/** A sent transaction not mined after this long gets a notice, so a slow chain does not look hung. */
const NOTICE_AFTER_MS = 1000;

export interface WaitNotice {
  /** Give it to the client as `onTransactionSent`. */
  onSent(hash: Hash): void;
  /** The write is over: no notice any more. */
  stop(): void;
}

/**
 * Tells the user on stderr (stdout stays clean for pipes) when a transaction was sent but
 * takes more than a moment to be mined.
 */
export function createWaitNotice(): WaitNotice {
  let timer: NodeJS.Timeout | undefined;
  return {
    onSent(hash) {
      clearTimeout(timer);
      timer = setTimeout(() => process.stderr.write(`keyway: sent ${hash}, waiting for it to be mined...\n`), NOTICE_AFTER_MS);
    },
    stop() {
      clearTimeout(timer);
    },
  };
}
