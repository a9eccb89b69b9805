import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { InvalidArgumentError } from "../sdk/errors";
import { type RecoverPublicKeyAsync, recoverInThread, type RecoveryInput } from "../sdk/message/verify";

/** Bytes of one request: digest (32), r || s (64), recovery id (1). */
const REQUEST_BYTES = 97;
/** Bytes of one answer: an uncompressed public key, or zeros where the signature recovers nobody. */
const KEY_BYTES = 65;

// The worker's whole program. It is evaluated rather than loaded from a file so that it runs the
// same from the TypeScript sources, the bundled CLI and dist/. It answers a batch of requests
// with their keys, in order.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const addon = require(workerData.addonPath);
parentPort.on("message", (requests) => {
  const count = requests.length / ${REQUEST_BYTES};
  const keys = new Uint8Array(count * ${KEY_BYTES});
  for (let i = 0; i < count; i++) {
    const at = i * ${REQUEST_BYTES};
    try {
      keys.set(addon.ecdsaRecover(requests.subarray(at + 32, at + 96), requests[at + 96], requests.subarray(at, at + 32), false), i * ${KEY_BYTES});
    } catch {} // r or s out of range, or no point with that x: left zero
  }
  parentPort.postMessage(keys, [keys.buffer]);
});`;

/**
 * A request that follows this long without any is recovered at once in the caller's thread:
 * waking an idle thread costs about 0.2 ms, and milliseconds at worst on a busy machine, where
 * the recovery itself takes 0.07 ms. At low rates latency matters more than parallelism.
 */
const QUIET_MS = 1;

/** One fewer than the machine's cores (the relay's own thread keeps one), at most 4. */
export const DEFAULT_RECOVERY_THREADS = Math.min(4, availableParallelism() - 1);

export interface RecoveryThreads {
  /** Recovers on the least busy thread; in the caller's thread when there is none. */
  recoverPublicKey: RecoverPublicKeyAsync;
  /** Stops the threads; what they had not answered is recovered in the caller's thread. */
  close(): Promise<void>;
}

export interface RecoveryThreadsOptions {
  /** Worker threads; 0 recovers in the caller's thread. */
  threads: number;
  /** Where the native secp256k1 addon is; default: resolved from this package. */
  addonPath?: string;
  /** Told when a thread fails and its work falls back to the caller's thread. */
  log?: (line: string) => void;
}

interface Batch {
  inputs: RecoveryInput[];
  answers: ((key: Uint8Array | undefined) => void)[];
}

interface Thread {
  worker: Worker;
  /** Sent and not yet answered, oldest first: a worker answers in order. */
  batches: Batch[];
  pending: number;
}

function addonPathOrUndefined(): string | undefined {
  try {
    return require.resolve("secp256k1/bindings");
  } catch {
    return undefined;
  }
}

function encode(inputs: readonly RecoveryInput[]): Uint8Array<ArrayBuffer> {
  const requests = new Uint8Array(inputs.length * REQUEST_BYTES);
  inputs.forEach(({ digest, signature, recoveryId }, i) => {
    const at = i * REQUEST_BYTES;
    requests.set(digest, at);
    requests.set(signature, at + 32);
    requests[at + 96] = recoveryId;
  });
  return requests;
}

/**
 * Worker threads that recover public keys from signatures with the native addon, so that a
 * relay validates on more than one core. Requests made in one turn of the event loop go to a
 * thread as one batch, to the thread with the least work waiting; a request after a quiet
 * moment (QUIET_MS) is recovered in the caller's thread at once. Threads start on the first
 * request (an idle relay has none) and a thread that fails hands its work back to the caller's
 * thread, which then recovers what the remaining threads cannot.
 *
 * @example
 * const threads = createRecoveryThreads({ threads: 1 });
 * const validator = createMessageValidator({ domain, permissions, recoverPublicKey: threads.recoverPublicKey });
 */
export function createRecoveryThreads(options: RecoveryThreadsOptions): RecoveryThreads {
  const { threads: size, addonPath = addonPathOrUndefined(), log } = options;
  if (!Number.isSafeInteger(size) || size < 0) throw new InvalidArgumentError(`recoveryThreads must be an integer >= 0, got ${size}`);
  let threads: Thread[] | undefined; // started on first use
  let onlyHere = size === 0 || addonPath === undefined;
  let waiting: Batch = { inputs: [], answers: [] };
  let lastAskedAt = -Infinity;

  function answerHere(batches: readonly Batch[]): void {
    for (const { inputs, answers } of batches) inputs.forEach((input, i) => answers[i](recoverInThread(input)));
  }

  function start(): Thread[] {
    return Array.from({ length: size }, () => {
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { addonPath } });
      worker.unref();
      const thread: Thread = { worker, batches: [], pending: 0 };
      worker.on("message", (keys: Uint8Array) => {
        const { answers } = thread.batches.shift()!;
        thread.pending -= answers.length;
        answers.forEach((answer, i) => answer(keys[i * KEY_BYTES] === 0 ? undefined : keys.subarray(i * KEY_BYTES, (i + 1) * KEY_BYTES)));
      });
      worker.on("error", (error) => log?.(`A signature recovery thread failed (${error.message}); the relay's own thread recovers in its place`));
      worker.on("exit", () => {
        threads = threads?.filter((other) => other !== thread);
        answerHere(thread.batches.splice(0));
      });
      return thread;
    });
  }

  function flush(): void {
    const batch = waiting;
    waiting = { inputs: [], answers: [] };
    threads ??= start();
    if (threads.length === 0) return answerHere([batch]);
    const thread = threads.reduce((least, other) => (other.pending < least.pending ? other : least));
    const requests = encode(batch.inputs);
    thread.batches.push(batch);
    thread.pending += batch.inputs.length;
    thread.worker.postMessage(requests, [requests.buffer]);
  }

  return {
    recoverPublicKey(input) {
      const now = performance.now();
      const quiet = now - lastAskedAt > QUIET_MS && waiting.inputs.length === 0;
      lastAskedAt = now;
      if (onlyHere || quiet) return Promise.resolve(recoverInThread(input));
      return new Promise((resolve) => {
        if (waiting.inputs.length === 0) setImmediate(flush);
        waiting.inputs.push(input);
        waiting.answers.push(resolve);
      });
    },
    async close() {
      onlyHere = true;
      const stopping = threads ?? [];
      threads = [];
      await Promise.all(stopping.map(({ worker }) => worker.terminate()));
    },
  };
}
