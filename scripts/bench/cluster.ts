// `npm run bench:cluster`: fan-out over 1 relay, 3 relays sharing one Redis, and 3 relays sharing a
// 3-shard Redis Cluster (3 masters, 3 replicas), in one run: 3 streams, each with its subscribers
// on one relay only (disjoint sets) and its publisher on another, so every delivery crosses Redis
// and a relay needs none of the other streams. Per run: deliveries/s, latency p50/p99, CPU per
// delivery of each relay and of Redis (/proc/<pid>/stat utime+stime), Redis commands per message,
// and the messages each relay received from Redis that no subscriber of its needed (goal: 0). Then
// RSS per idle subscribed connection, and the loss and duplicate counts when a publisher's relay is
// killed (-9) mid-stream on the cluster. Relays and redis-servers are child processes; subscribers
// are raw WebSocket clients that count frames (the relays' cost is measured, not the clients').
// A goal missed (anything lost or repeated, a message a relay did not need) exits 1.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";
import { Redis } from "ioredis";
import type { Hex } from "viem";
import WebSocket from "ws";
import { createPublisher, KeywayClient, type SignedStreamMessage, StreamPermission } from "../../sdk";
import type { BrokerTraffic } from "../../relay/broker";
import { type RelayProcess, startRedis, startRedisCluster, startRelayProcess, type TestRedis } from "../clusterProcesses";
import { SystemBinaryNotFoundError } from "../systemBinaries";
import { startLocalNode } from "../localNode";
import { deployLocalRegistry, devAccounts } from "../devChain";

const STREAMS = 3;
const MESSAGES_PER_STREAM = 5_000;
const SUBSCRIBERS_PER_STREAM = 33;
const WINDOW = 200;
const IDLE_CONNECTIONS = 5_000;
const KILL_MESSAGES = 3_000;
const TICKS_PER_SECOND = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim());

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

/** CPU seconds the process used so far (user + system). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

function rssBytes(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) * 1024;
}

/** Commands the Redis servers ran so far (INFO commandstats; a script's own commands included, INFO not). */
async function commandsRun(admins: Redis[]): Promise<number> {
  let total = 0;
  for (const admin of admins) {
    for (const [, name, calls] of ((await admin.info("commandstats")) as string).matchAll(/cmdstat_([^:]+):calls=(\d+)/g)) if (name !== "info") total += Number(calls);
  }
  return total;
}

interface RelayFigures {
  deliveries: number;
  cpuMicrosPerDelivery: number;
  traffic?: BrokerTraffic;
}

interface Run {
  name: string;
  deliveredPerSecond: number;
  p50: number;
  p99: number;
  missing: number;
  duplicates: number;
  relays: RelayFigures[];
  /** Redis's CPU per delivery (all its servers, replicas included), µs. */
  redisMicrosPerDelivery?: number;
  /** Commands the masters ran per message published (a replica applies them too). */
  redisCommandsPerMessage?: number;
  loadAverage: number[];
}

/**
 * Stream k's subscribers on relay k (mod relays), its publisher on relay k + 1: every stream's
 * messages cross Redis, and no relay serves another's streams. `masters` are counted for
 * commands, all of `redis` (replicas too) for CPU.
 */
async function fanOut(name: string, relays: RelayProcess[], masters: TestRedis[], redis: TestRedis[], streamIds: string[], messages: SignedStreamMessage[][]): Promise<Run> {
  const relayOf = (stream: number) => stream % relays.length;
  const subscribers = await Promise.all(
    streamIds.map((streamId, stream) => Promise.all(Array.from({ length: SUBSCRIBERS_PER_STREAM }, () => subscribe(relays[relayOf(stream)].url, streamId, MESSAGES_PER_STREAM)))),
  );
  const admins = masters.map((server) => new Redis(server.port, "127.0.0.1"));
  try {
    const trafficBefore = await Promise.all(relays.map((relay) => relay.traffic()));
    const relayCpuBefore = relays.map((relay) => cpuSeconds(relay.pid));
    const redisCpuBefore = redis.map((server) => cpuSeconds(server.pid));
    const commandsBefore = await commandsRun(admins);
    const start = performance.now();
    const sent = await Promise.all(streamIds.map((_, stream) => publishAll(relays[(stream + 1) % relays.length].url, messages[stream])));
    const all = subscribers.flat();
    const expected = STREAMS * MESSAGES_PER_STREAM * SUBSCRIBERS_PER_STREAM;
    const total = () => all.reduce((sum, subscriber) => sum + subscriber.count, 0);
    await until(() => total() >= expected, 180_000);
    const end = Math.max(...all.map((subscriber) => Math.max(...subscriber.received)));
    const relayCpu = relays.map((relay, index) => cpuSeconds(relay.pid) - relayCpuBefore[index]);
    const redisCpu = redis.reduce((sum, server, index) => sum + cpuSeconds(server.pid) - redisCpuBefore[index], 0);
    const commands = (await commandsRun(admins)) - commandsBefore;
    const trafficAfter = await Promise.all(relays.map((relay) => relay.traffic()));
    const latencies: number[] = [];
    for (const [stream, streamSubscribers] of subscribers.entries()) {
      for (const subscriber of streamSubscribers) {
        for (let i = 0; i < MESSAGES_PER_STREAM; i += 1) if (subscriber.received[i] !== 0) latencies.push(subscriber.received[i] - sent[stream][i]);
        subscriber.socket.close();
      }
    }
    latencies.sort((a, b) => a - b);
    const delivered = total();
    return {
      name,
      deliveredPerSecond: delivered / ((end - start) / 1000),
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      missing: expected - delivered,
      duplicates: all.reduce((sum, subscriber) => sum + subscriber.duplicates, 0),
      relays: relays.map((_, index) => {
        const deliveries = streamIds.filter((__, stream) => relayOf(stream) === index).length * MESSAGES_PER_STREAM * SUBSCRIBERS_PER_STREAM;
        const before = trafficBefore[index];
        const after = trafficAfter[index];
        const traffic = before === undefined || after === undefined ? undefined : { received: after.received - before.received, unneeded: after.unneeded - before.unneeded };
        return { deliveries, cpuMicrosPerDelivery: (relayCpu[index] * 1e6) / deliveries, traffic };
      }),
      ...(redis.length > 0 && { redisMicrosPerDelivery: (redisCpu * 1e6) / delivered, redisCommandsPerMessage: commands / (STREAMS * MESSAGES_PER_STREAM) }),
      loadAverage: os.loadavg(),
    };
  } finally {
    admins.forEach((admin) => admin.disconnect());
  }
}

/** RSS per idle connection subscribed to a stream, from the relay's RSS before and after `IDLE_CONNECTIONS` of them. */
async function rssPerConnection(relay: RelayProcess, streamId: string): Promise<number> {
  const before = rssBytes(relay.pid);
  const sockets: WebSocket[] = [];
  for (let i = 0; i < IDLE_CONNECTIONS; i += 100) sockets.push(...(await Promise.all(Array.from({ length: 100 }, () => subscribe(relay.url, streamId, 1)))).map((subscriber) => subscriber.socket));
  await sleep(1_000);
  const after = rssBytes(relay.pid);
  sockets.forEach((socket) => socket.close());
  return (after - before) / IDLE_CONNECTIONS;
}

/** Kill -9 of the publisher's relay mid-stream; subscribers on the two others; the SDK publisher fails over. Lost and repeated messages. */
async function killPublishersRelay(relays: RelayProcess[], client: () => KeywayClient, streamId: string): Promise<{ lost: number; duplicates: number }> {
  const survivors = await Promise.all([1, 2].map((i) => subscribe(relays[i].url, streamId, KILL_MESSAGES)));
  const publisher = client();
  let acknowledged = 0;
  let nextIndex = 0;
  const worker = async () => {
    while (nextIndex < KILL_MESSAGES) {
      const index = nextIndex++;
      await publisher.publish(streamId, new Uint8Array(Buffer.from(String(index))), { contentType: "text/plain" });
      acknowledged += 1;
    }
  };
  const publishing = Promise.all(Array.from({ length: 100 }, worker));
  await until(() => acknowledged >= KILL_MESSAGES / 3, 120_000);
  await relays[0].kill();
  await publishing;
  await until(() => survivors.every((subscriber) => subscriber.count >= KILL_MESSAGES), 60_000);
  survivors.forEach((subscriber) => subscriber.socket.close());
  publisher.destroy();
  return { lost: survivors.reduce((sum, subscriber) => sum + (KILL_MESSAGES - subscriber.count), 0), duplicates: survivors.reduce((sum, subscriber) => sum + subscriber.duplicates, 0) };
}

function report(run: Run): void {
  const load = run.loadAverage.map((l) => l.toFixed(2)).join(" ");
  console.log(
    `${run.name.padEnd(26)} ${Math.round(run.deliveredPerSecond).toLocaleString("en-US").padStart(9)} deliveries/s   p50 ${run.p50.toFixed(1)} ms  p99 ${run.p99.toFixed(1)} ms   missing ${run.missing}  duplicates ${run.duplicates}   load average ${load}`,
  );
  for (const [index, relay] of run.relays.entries()) {
    const traffic = relay.traffic === undefined ? "" : `   from Redis ${relay.traffic.received.toLocaleString("en-US")} messages, not needed ${relay.traffic.unneeded}`;
    console.log(`    relay ${index}: ${relay.deliveries.toLocaleString("en-US")} deliveries, CPU ${relay.cpuMicrosPerDelivery.toFixed(2)} µs per delivery${traffic}`);
  }
  if (run.redisMicrosPerDelivery !== undefined) console.log(`    Redis: CPU ${run.redisMicrosPerDelivery.toFixed(2)} µs per delivery (replicas included), ${run.redisCommandsPerMessage!.toFixed(1)} commands per message on the masters`);
}

async function main(): Promise<void> {
  const node = await startLocalNode();
  const relays: RelayProcess[] = [];
  const stops: (() => Promise<void>)[] = [];
  try {
    const { registryAddress, chainId } = await deployLocalRegistry(node.url);
    const [owner, publisherAccount] = devAccounts(2);
    const client = new KeywayClient({ rpcUrl: node.url, registryAddress, privateKey: owner.privateKey });
    const streamIds: string[] = [];
    for (const name of ["a", "b", "c", "kill"]) {
      const { id } = await client.createStream(`/bench-cluster/${name}-${Date.now()}`);
      await client.grantPermissions(id, { public: true, permissions: [StreamPermission.SUBSCRIBE, StreamPermission.PUBLISH] });
      streamIds.push(id);
    }
    client.destroy();
    const fanOutStreams = streamIds.slice(0, STREAMS);

    const step = (what: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${what}`);
    step("signing");
    // Signed beforehand (signing is the publishers' cost, not the relays'), once: each run has relays (and a Redis) of its own,
    // whose duplicate checks have not seen them; the relays take messages up to 10 minutes old (maxMessageAgeMs).
    const domain = { chainId, verifyingContract: registryAddress };
    const signed = await Promise.all(
        fanOutStreams.map(async (streamId) => {
          const publisher = createPublisher({ streamId, partition: 0, domain, signer: publisherAccount.privateKey, contentType: "text/plain" });
          const messages: SignedStreamMessage[] = [];
          for (let i = 0; i < MESSAGES_PER_STREAM; i += 1) messages.push(await publisher.publish(`0x${Buffer.from(String(i)).toString("hex")}` as Hex));
          return messages;
        }),
      );
    const options = { rpcUrl: node.url, registryAddress, historyCount: 20_000, publishRate: 1_000_000, maxBufferedBytes: 64 * 1024 * 1024, maxMessageAgeMs: 600_000 };
    const runs: Run[] = [];

    step("RSS per idle subscribed connection, on a fresh relay");
    const fresh = await startRelayProcess(options);
    const rss = await rssPerConnection(fresh, fanOutStreams[0]);
    await fresh.stop();

    step("signed; 1 relay");
    const single = await startRelayProcess(options);
    runs.push(await fanOut("1 relay, no Redis", [single], [], [], fanOutStreams, signed));
    await single.stop();

    step("3 relays on one Redis");
    const one = await startRedis();
    stops.push(() => one.stop());
    const onOne = await Promise.all([0, 1, 2].map(() => startRelayProcess({ ...options, redisUrl: one.url })));
    runs.push(await fanOut("3 relays on one Redis", onOne, [one], [one], fanOutStreams, signed));
    await Promise.all(onOne.map((relay) => relay.stop()));

    step("3 relays on a 3-shard Redis Cluster");
    const cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1 });
    stops.push(() => cluster.stop());
    relays.push(...(await Promise.all([0, 1, 2].map(() => startRelayProcess({ ...options, redisCluster: cluster.nodes })))));
    runs.push(await fanOut("3 relays on a Redis Cluster", relays, cluster.masters, [...cluster.masters, ...cluster.replicas], fanOutStreams, signed));

    step("kill -9 of the publisher's relay, on the cluster");
    const killed = await killPublishersRelay(relays, () => new KeywayClient({ rpcUrl: node.url, registryAddress, privateKey: publisherAccount.privateKey, relayUrl: relays.map((relay) => relay.url) }), streamIds[3]);

    console.log(`Fan-out: ${STREAMS} streams x ${MESSAGES_PER_STREAM.toLocaleString("en-US")} messages, each to ${SUBSCRIBERS_PER_STREAM} subscribers on one relay, published through another (${WINDOW} in flight per publisher); ${os.cpus().length} cores`);
    runs.forEach(report);
    console.log(`RSS per idle subscribed connection: ${(rss / 1024).toFixed(1)} KiB (${IDLE_CONNECTIONS.toLocaleString("en-US")} connections on one relay)`);
    console.log(`Kill -9 of the publisher's relay after ${(KILL_MESSAGES / 3) | 0} of ${KILL_MESSAGES} messages, on the cluster: lost ${killed.lost}, duplicates ${killed.duplicates} (2 subscribers on the surviving relays, counted raw)`);
    console.log(`load average: ${os.loadavg().map((l) => l.toFixed(2)).join(" ")} on ${os.cpus().length} cores`);
    const misses = [
      ...runs.filter((run) => run.missing + run.duplicates > 0).map((run) => `${run.name}: ${run.missing} missing, ${run.duplicates} duplicates`),
      ...runs.flatMap((run) => run.relays.flatMap((relay, index) => (relay.traffic !== undefined && relay.traffic.unneeded > 0 ? [`${run.name}: relay ${index} received ${relay.traffic.unneeded} messages it did not need`] : []))),
      ...(killed.lost + killed.duplicates > 0 ? [`kill -9: ${killed.lost} lost, ${killed.duplicates} duplicates`] : []),
    ];
    for (const miss of misses) console.log(`GOAL MISSED: ${miss}`);
    if (misses.length > 0) process.exitCode = 1;
  } finally {
    await Promise.all(relays.map((relay) => relay.stop()));
    await node.stop();
    for (const stop of stops) await stop();
  }
}

main().catch((error) => {
  // A missing redis-server is said in its one line, not as a stack trace.
  console.error(error instanceof SystemBinaryNotFoundError ? error.message : error);
  process.exit(1);
});
