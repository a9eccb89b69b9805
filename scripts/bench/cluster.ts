// `npm run bench:cluster`: fan-out of 20,000 messages from 1 publisher to 100 subscribers
// over 3 relays sharing a Redis, against the same over 1 relay without Redis, in one run;
// then the loss and duplicate counts when the publisher's relay is killed (-9) mid-stream.
// Relays and redis-server are child processes; subscribers are raw WebSocket clients that
// count frames (no verification: the relays' cost is measured, not the clients').
import os from "node:os";
import type { Hex } from "viem";
import WebSocket from "ws";
import { createPublisher, KeywayClient, type SignedStreamMessage, StreamPermission } from "../../sdk";
import { type RelayProcess, startRedis, startRelayProcess } from "../clusterProcesses";
import { SystemBinaryNotFoundError } from "../systemBinaries";
import { startLocalNode } from "../localNode";
import { deployLocalRegistry, devAccounts } from "../devChain";

const MESSAGES = 20_000;
const SUBSCRIBERS = 100;
const WINDOW = 200;
const KILL_MESSAGES = 5_000;

interface Subscriber {
  socket: WebSocket;
  /** Receive time (ms, this process's clock) per message index; duplicates counted. */
  received: Float64Array;
  count: number;
  duplicates: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.once("message", () => resolve(socket)); // hello
    socket.once("error", reject);
  });
}

/** A raw subscriber: indexes messages by their sequence number (one publisher, one chain: sequence numbers are 0..n-1 here). */
async function subscribe(url: string, streamId: string, size: number): Promise<Subscriber> {
  const socket = await open(url);
  const subscriber: Subscriber = { socket, received: new Float64Array(size), count: 0, duplicates: 0 };
  const subscribed = new Promise<void>((resolve) => {
    socket.on("message", (data: Buffer) => {
      const text = data.toString();
      if (!text.startsWith('{"type":"message"')) {
        if (text.includes('"subscribed"')) resolve();
        return;
      }
      const index = indexOf(text);
      if (subscriber.received[index] !== 0) subscriber.duplicates += 1;
      else subscriber.count += 1;
      subscriber.received[index] = performance.now();
    });
  });
  socket.send(JSON.stringify({ type: "subscribe", id: 1, streamId }));
  await subscribed;
  return subscriber;
}

/** The message's index: its content is the index as decimal digits, hex-encoded. */
function indexOf(frame: string): number {
  const hex = /"content":"0x([0-9a-f]+)"/.exec(frame)![1];
  return Number(Buffer.from(hex, "hex").toString());
}

/** Sends the messages with at most WINDOW unacknowledged; resolves with the send time of each. */
async function publishAll(url: string, messages: SignedStreamMessage[]): Promise<Float64Array> {
  const socket = await open(url);
  const sent = new Float64Array(messages.length);
  let next = 0;
  let acknowledged = 0;
  await new Promise<void>((resolve, reject) => {
    const send = () => {
      while (next < messages.length && next - acknowledged < WINDOW) {
        sent[next] = performance.now();
        socket.send(JSON.stringify({ type: "publish", id: next, message: messages[next] }));
        next += 1;
      }
    };
    socket.on("message", (data: Buffer) => {
      const frame = JSON.parse(data.toString());
      if (frame.type === "error") return reject(new Error(`publish refused: ${data.toString()}`));
      if (frame.type !== "published") return;
      acknowledged += 1;
      if (acknowledged === messages.length) resolve();
      else send();
    });
    send();
  });
  socket.close();
  return sent;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

interface FanOut {
  deliveredPerSecond: number;
  p50: number;
  p99: number;
  missing: number;
  duplicates: number;
}

async function fanOut(relayUrls: string[], streamId: string, messages: SignedStreamMessage[]): Promise<FanOut> {
  const subscribers = await Promise.all(Array.from({ length: SUBSCRIBERS }, (_, i) => subscribe(relayUrls[i % relayUrls.length], streamId, messages.length)));
  const start = performance.now();
  const sent = await publishAll(relayUrls[0], messages);
  const expected = messages.length * SUBSCRIBERS;
  const total = () => subscribers.reduce((sum, s) => sum + s.count, 0);
  await until(() => total() >= expected, 120_000);
  const end = Math.max(...subscribers.map((s) => Math.max(...s.received)));
  const latencies: number[] = [];
  for (const subscriber of subscribers) {
    for (let i = 0; i < messages.length; i += 1) if (subscriber.received[i] !== 0) latencies.push(subscriber.received[i] - sent[i]);
    subscriber.socket.close();
  }
  latencies.sort((a, b) => a - b);
  return {
    deliveredPerSecond: total() / ((end - start) / 1000),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    missing: expected - total(),
    duplicates: subscribers.reduce((sum, s) => sum + s.duplicates, 0),
  };
}

async function main(): Promise<void> {
  const redis = await startRedis();
  const node = await startLocalNode();
  const relays: RelayProcess[] = [];
  try {
    const { registryAddress, chainId } = await deployLocalRegistry(node.url);
    const [owner, publisherAccount] = devAccounts(2);
    const client = new KeywayClient({ rpcUrl: node.url, registryAddress, privateKey: owner.privateKey });
    const streamIds: string[] = [];
    for (const name of ["single", "cluster", "kill"]) {
      const { id } = await client.createStream(`/bench-cluster/${name}-${Date.now()}`);
      await client.grantPermissions(id, { public: true, permissions: [StreamPermission.SUBSCRIBE, StreamPermission.PUBLISH] });
      streamIds.push(id);
    }
    client.destroy();

    // Signed beforehand: signing is the publisher's cost, not the relays'.
    const domain = { chainId, verifyingContract: registryAddress };
    const sign = async (streamId: string, count: number) => {
      const publisher = createPublisher({ streamId, partition: 0, domain, signer: publisherAccount.privateKey, contentType: "text/plain" });
      const messages: SignedStreamMessage[] = [];
      for (let i = 0; i < count; i += 1) messages.push(await publisher.publish(`0x${Buffer.from(String(i)).toString("hex")}` as Hex));
      return messages;
    };
    const options = { rpcUrl: node.url, registryAddress, historyCount: 20_000, publishRate: 1_000_000, maxBufferedBytes: 64 * 1024 * 1024 };

    const step = (what: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${what}`);
    step("signing, then 1 relay");
    const single = await startRelayProcess(options);
    const singleResult = await fanOut([single.url], streamIds[0], await sign(streamIds[0], MESSAGES));
    await single.stop();

    step("3 relays on Redis");
    relays.push(...(await Promise.all([0, 1, 2].map(() => startRelayProcess({ ...options, redisUrl: redis.url })))));
    const clusterResult = await fanOut(relays.map((relay) => relay.url), streamIds[1], await sign(streamIds[1], MESSAGES));

    step("kill -9 of the publisher's relay");
    // Kill -9 the publisher's relay mid-stream; subscribers on the two others; the SDK publisher fails over.
    const survivors = await Promise.all([1, 2].map((i) => subscribe(relays[i].url, streamIds[2], KILL_MESSAGES)));
    const publisher = new KeywayClient({ rpcUrl: node.url, registryAddress, privateKey: publisherAccount.privateKey, relayUrl: relays.map((relay) => relay.url) });
    let acknowledged = 0;
    let nextIndex = 0;
    const worker = async () => {
      while (nextIndex < KILL_MESSAGES) {
        const index = nextIndex++;
        await publisher.publish(streamIds[2], new Uint8Array(Buffer.from(String(index))), { contentType: "text/plain" });
        acknowledged += 1;
      }
    };
    const publishing = Promise.all(Array.from({ length: 100 }, worker));
    await until(() => acknowledged >= KILL_MESSAGES / 3, 120_000);
    await relays[0].kill();
    await publishing;
    await until(() => survivors.every((s) => s.count >= KILL_MESSAGES), 60_000);
    const killLoss = survivors.reduce((sum, s) => sum + (KILL_MESSAGES - s.count), 0);
    const killDuplicates = survivors.reduce((sum, s) => sum + s.duplicates, 0);
    survivors.forEach((s) => s.socket.close());
    publisher.destroy();

    const row = (name: string, r: FanOut) =>
      `${name.padEnd(22)} ${Math.round(r.deliveredPerSecond).toLocaleString("en-US").padStart(10)} msg/s delivered   latency p50 ${r.p50.toFixed(1)} ms  p99 ${r.p99.toFixed(1)} ms   missing ${r.missing}  duplicates ${r.duplicates}`;
    console.log(`Fan-out: ${MESSAGES.toLocaleString("en-US")} messages, 1 publisher -> ${SUBSCRIBERS} subscribers (${WINDOW} publishes in flight)`);
    console.log(row("1 relay, no Redis", singleResult));
    console.log(row("3 relays on one Redis", clusterResult));
    console.log(`Redis hop adds: p50 ${(clusterResult.p50 - singleResult.p50).toFixed(1)} ms, p99 ${(clusterResult.p99 - singleResult.p99).toFixed(1)} ms`);
    console.log(`Kill -9 of the publisher's relay after ${KILL_MESSAGES / 3 | 0} of ${KILL_MESSAGES} messages: lost ${killLoss}, duplicates ${killDuplicates} (2 subscribers on the surviving relays, counted raw)`);
    console.log(`load average: ${os.loadavg().map((l) => l.toFixed(2)).join(" ")} on ${os.cpus().length} cores`);
    if (clusterResult.missing + singleResult.missing + killLoss + killDuplicates + clusterResult.duplicates > 0) process.exitCode = 1;
  } finally {
    await Promise.all(relays.map((relay) => relay.stop()));
    await node.stop();
    await redis.stop();
  }
}

main().catch((error) => {
  // A missing redis-server is said in its one line, not as a stack trace.
  console.error(error instanceof SystemBinaryNotFoundError ? error.message : error);
  process.exit(1);
});
