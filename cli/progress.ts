import type { Hash } from "viem";
import { CliError } from "./errors";
import { ExitCode } from "./exitCodes";

/** A sent transaction not mined after this long gets a notice, so a slow chain does not look hung. */
const NOTICE_AFTER_MS = 1000;
/** While a transaction waits, the node is asked this often whether it still answers... */
const PROBE_EVERY_MS = 1000;
/** ...each question given this long... */
const PROBE_TIMEOUT_MS = 2000;
/** ...and after this many failed questions in a row it is taken for gone: a few seconds, not viem's 180 s wait. */
const FAILED_PROBES_TO_GIVE_UP = 3;

export interface PendingWriteWatch {
  /** Give it to the client as `onTransactionSent`. */
  onSent(hash: Hash): void;
  /**
   * Rejects (exit 6, one line) once the node stops answering while a sent transaction waits
   * to be mined; never resolves. Race the command against it.
   */
  readonly nodeLost: Promise<never>;
  /** The command is over: no notice, no more questions to the node. */
  stop(): void;
}

/**
 * What the CLI does while a sent transaction waits to be mined: tells the user on stderr
 * (stdout stays clean for pipes) when that takes more than a moment, and keeps asking the
 * node whether it is still there. viem's wait for a receipt ignores a node that stopped
 * answering until its own 180 s timeout; the user hears about it within seconds instead.
 */
export function watchPendingWrites(rpcUrl: string): PendingWriteWatch {
  let notice: NodeJS.Timeout | undefined;
  let probe: NodeJS.Timeout | undefined;
  let inFlight: AbortController | undefined;
  let stopped = false;
  let lost!: (error: CliError) => void;
  const nodeLost = new Promise<never>((_, reject) => (lost = reject));
  nodeLost.catch(() => {}); // Reported by whoever races against it; unhandled only when nobody does.

  async function answers(): Promise<boolean> {
    inFlight = new AbortController();
    const timeout = setTimeout(() => inFlight?.abort(), PROBE_TIMEOUT_MS);
    try {
      const response = await fetch(rpcUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_blockNumber", params: [] }),
        signal: inFlight.signal,
      });
      await response.arrayBuffer();
      return response.ok;
    } catch {
      return false;
    } finally {
      clearTimeout(timeout);
    }
  }

  function watch(hash: Hash, failed: number): void {
    probe = setTimeout(async () => {
      const ok = await answers();
      if (stopped) return;
      const failures = ok ? 0 : failed + 1;
      if (failures < FAILED_PROBES_TO_GIVE_UP) return watch(hash, failures);
      lost(
        new CliError(
          `the node at ${rpcUrl} stopped answering while transaction ${hash} waited to be mined (it is mined only if the node comes back with it)`,
          ExitCode.NODE_UNREACHABLE,
        ),
      );
    }, PROBE_EVERY_MS);
  }

  return {
    nodeLost,
    onSent(hash) {
      clearTimeout(notice);
      clearTimeout(probe);
      notice = setTimeout(() => process.stderr.write(`keyway: sent ${hash}, waiting for it to be mined...\n`), NOTICE_AFTER_MS);
      watch(hash, 0);
    },
    stop() {
      stopped = true;
      clearTimeout(notice);
      clearTimeout(probe);
      inFlight?.abort();
    },
  };
}
