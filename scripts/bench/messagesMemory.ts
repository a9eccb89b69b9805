// `npm run bench:messages:memory`: the memory a full chain tracker holds (a relay holds one):
// maxChains chains, each with windowSize positions remembered, measured as the growth of the
// JS heap plus array buffers after a full garbage collection.
import os from "node:os";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { createChainTracker, chainKeyOf, type ChainTracker } from "../../sdk/message/chains";
import { DEFAULT_MAX_CHAINS, DEFAULT_WINDOW_SIZE } from "../../sdk/message/validator";
import type { StreamMessage } from "../../sdk/message/types";

/** The goal for a default tracker, in MiB. */
export const MAX_DEFAULT_TRACKER_MIB = 32;

const MiB = 1024 * 1024;

/** Runs a full garbage collection, exposing `gc` if the process was started without --expose-gc. */
function collectGarbage(): void {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  gc();
  gc();
}

function usedBytes(): number {
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}

/**
 * Fills a tracker with `maxChains` chains of `windowSize` positions each, as a relay would see
 * them (realistic ids: a stream, a publisher, a 20-character msgChainId), and returns it.
 */
export function fillTracker(windowSize: number, maxChains: number): ChainTracker {
  const tracker = createChainTracker({ windowSize, maxChains });
  const message: StreamMessage = {
    streamId: "",
    partition: 0,
    timestamp: 0,
    sequenceNumber: 0,
    publisher: "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266",
    msgChainId: "",
    prevTimestamp: 0,
    prevSequenceNumber: 0,
    contentType: "application/json",
    content: "0x",
  };
  const start = 1_790_000_000_000;
  for (let chain = 0; chain < maxChains; chain++) {
    message.streamId = `0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266/sensors/${chain % 100}`;
    message.msgChainId = chain.toString(16).padStart(20, "0");
    const key = chainKeyOf(message);
    message.prevTimestamp = 0;
    message.prevSequenceNumber = 0;
    for (let position = 0; position < windowSize; position++) {
      // Mostly a new millisecond each, sometimes a second message in the same one.
      message.timestamp = start + position - (position >> 3);
      message.sequenceNumber = position % 8 === 7 ? 1 : 0;
      tracker.record(key, message);
      message.prevTimestamp = message.timestamp;
      message.prevSequenceNumber = message.sequenceNumber;
    }
  }
  return tracker;
}

/** Bytes a full tracker holds: heap and array buffers after gc, with and without it. */
export function measureFullTracker(windowSize = DEFAULT_WINDOW_SIZE, maxChains = DEFAULT_MAX_CHAINS): number {
  collectGarbage();
  const before = usedBytes();
  const tracker = fillTracker(windowSize, maxChains);
  collectGarbage();
  const after = usedBytes();
  // Keeps the tracker alive until after the measurement.
  if (tracker.check("", { timestamp: 0, sequenceNumber: 0 } as StreamMessage) !== "accepted") throw new Error("unreachable");
  return after - before;
}

if (require.main === module) {
  const load = os.loadavg()[0].toFixed(2);
  const bytes = measureFullTracker();
  const mib = bytes / MiB;
  console.log(`full default chain tracker (${DEFAULT_MAX_CHAINS} chains x ${DEFAULT_WINDOW_SIZE} positions): ${mib.toFixed(1)} MiB`);
  console.log(`${(bytes / (DEFAULT_MAX_CHAINS * DEFAULT_WINDOW_SIZE)).toFixed(1)} bytes per position, chain overhead included; load average (1 min) ${load}`);
  console.log(`goal <= ${MAX_DEFAULT_TRACKER_MIB} MiB: ${mib <= MAX_DEFAULT_TRACKER_MIB ? "met" : "MISSED"}`);
  if (mib > MAX_DEFAULT_TRACKER_MIB) process.exitCode = 1;
}
