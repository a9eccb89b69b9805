// redis-server and relays as child processes: for the cluster tests and `npm run bench:cluster`.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import type { BrokerTraffic } from "../relay/broker";
import { findFreePort } from "./localNode";
import { systemBinary } from "./systemBinaries";

const ROOT = path.resolve(__dirname, "..");

/** Lines a child process printed, and a way to wait for one. */
interface Output {
  lines: string[];
  waitForLine(match: RegExp, what: string, timeoutMs?: number): Promise<string>;
}

function follow(child: ChildProcess): Output {
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  let partial = "";
  const read = (chunk: Buffer) => {
    const parts = (partial + chunk.toString()).split("\n");
    partial = parts.pop()!;
    lines.push(...parts);
    waiters.forEach((wake) => wake());
  };
  child.stdout?.on("data", read);
  child.stderr?.on("data", read);
  child.once("exit", () => waiters.forEach((wake) => wake()));
  return {
    lines,
    waitForLine(match, what, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const line = lines.find((candidate) => match.test(candidate));
          if (line !== undefined) return done(() => resolve(line));
          if (child.exitCode !== null || child.signalCode !== null) done(() => reject(new Error(`${what}: the process exited; it said:\n${lines.join("\n")}`)));
        };
        const timer = setTimeout(() => done(() => reject(new Error(`timed out waiting for ${what}; output:\n${lines.join("\n")}`))), timeoutMs);
        const done = (settle: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          settle();
        };
        waiters.add(check);
        check();
      });
    },
  };
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/** A redis-server of the test's own, on a free 127.0.0.1 port, without persistence. */
export interface TestRedis extends Output {
  url: string;
  port: number;
  /** The running server's process id (for /proc/<pid>/stat). */
  readonly pid: number;
  /** Kills it (SIGKILL: nothing saved, as a crash) and starts it again on the same port, empty. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Extra `redis-server` arguments, e.g. `["--cluster-enabled", "yes"]`. */
export async function startRedis(extraArguments: string[] = []): Promise<TestRedis> {
  const redisServer = systemBinary("redis-server");
  const port = await findFreePort();
  let child: ChildProcess;
  let output: Output;
  async function start(): Promise<void> {
    child = spawn(redisServer, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", ...extraArguments], { stdio: ["ignore", "pipe", "pipe"] });
    output = follow(child);
    await output.waitForLine(/Ready to accept connections/, "redis-server ready");
  }
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    get pid() {
      return child.pid!;
    },
    get lines() {
      return output.lines;
    },
    waitForLine: (match, what, timeoutMs) => output.waitForLine(match, what, timeoutMs),
    async restart() {
      child.kill("SIGKILL");
      await exited(child);
      await start();
    },
    async stop() {
      child.kill("SIGKILL");
      await exited(child);
    },
  };
}

/** A Redis Cluster of the test's own: masters, each with its replicas, on free 127.0.0.1 ports. */
export interface TestRedisCluster {
  /** `host:port` of every node, masters first: what `redisCluster` / `--redis-cluster` take. */
  nodes: string[];
  masters: TestRedis[];
  replicas: TestRedis[];
  /** The master serving `key`'s slot now (after a failover, the promoted replica). */
  masterOf(key: string): Promise<TestRedis>;
  /** Kills `master` (SIGKILL) and waits until its replica has taken its slots over and the cluster is whole again. */
  failover(master: TestRedis): Promise<void>;
  stop(): Promise<void>;
}

const SLOTS = 16_384;

/** `CLUSTER INFO` of a node, as a record. */
async function clusterInfo(client: Redis): Promise<Record<string, string>> {
  const text = (await client.call("CLUSTER", "INFO")) as string;
  return Object.fromEntries(text.split("\r\n").filter(Boolean).map((line) => line.split(":") as [string, string]));
}

async function waitFor(condition: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Starts `masters` redis-servers in cluster mode, each with `replicasPerMaster` replicas, and
 * joins them by hand (CLUSTER MEET, ADDSLOTSRANGE, REPLICATE: no redis-cli needed): the slots
 * split evenly between the masters. `nodeTimeoutMs` is how long a master may be silent before
 * its replica takes over (low: a failover in a test takes about that long).
 */
export async function startRedisCluster({ masters = 3, replicasPerMaster = 1, nodeTimeoutMs = 1_000 } = {}): Promise<TestRedisCluster> {
  const options = ["--cluster-enabled", "yes", "--cluster-node-timeout", String(nodeTimeoutMs), "--cluster-replica-validity-factor", "0"];
  const servers: TestRedis[] = [];
  // The nodes files, and the snapshot a replica loads its master's data from, in a directory of this cluster's own.
  const directory = await mkdtemp(path.join(os.tmpdir(), "keyway-redis-cluster-"));
  const admins = new Map<TestRedis, Redis>();
  const adminOf = (server: TestRedis) => admins.get(server)!;
  async function stop(): Promise<void> {
    admins.forEach((admin) => admin.disconnect());
    await Promise.all(servers.map((server) => server.stop()));
    await rm(directory, { recursive: true, force: true });
  }
  try {
    for (let n = 0; n < masters * (1 + replicasPerMaster); n++) {
      const server = await startRedis([...options, "--dir", directory, "--cluster-config-file", `nodes-${n}.conf`, "--dbfilename", `dump-${n}.rdb`]);
      servers.push(server);
      const admin = new Redis(server.port, "127.0.0.1", { lazyConnect: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
      admin.on("error", () => undefined); // a killed node's admin connection just ends
      admins.set(server, admin);
    }
    const masterServers = servers.slice(0, masters);
    const replicaServers = servers.slice(masters);
    await Promise.all(servers.slice(1).map((server) => adminOf(server).call("CLUSTER", "MEET", "127.0.0.1", String(servers[0].port))));
    await Promise.all(
      masterServers.map((server, n) => {
        const first = Math.floor((n * SLOTS) / masters);
        const last = Math.floor(((n + 1) * SLOTS) / masters) - 1;
        return adminOf(server).call("CLUSTER", "ADDSLOTSRANGE", String(first), String(last));
      }),
    );
    const ids = await Promise.all(masterServers.map((server) => adminOf(server).call("CLUSTER", "MYID") as Promise<string>));
    // A replica may only follow a master it knows: wait until every node sees every other.
    await waitFor(async () => (await Promise.all(servers.map(async (server) => Number((await clusterInfo(adminOf(server))).cluster_known_nodes)))).every((known) => known === servers.length), "the nodes to meet");
    await Promise.all(replicaServers.map((server, n) => adminOf(server).call("CLUSTER", "REPLICATE", ids[n % masters])));
    const whole = async () => (await Promise.all(servers.filter((server) => admins.has(server)).map(async (server) => (await clusterInfo(adminOf(server))).cluster_state))).every((state) => state === "ok");
    const replicating = async () => (await Promise.all(replicaServers.map(async (server) => /master_link_status:up/.test((await adminOf(server).info("replication")) as string)))).every(Boolean);
    await waitFor(async () => (await whole()) && (await replicating()), "the cluster to be whole, its replicas in sync");
    const byPort = new Map(servers.map((server) => [server.port, server]));
    return {
      nodes: servers.map((server) => `127.0.0.1:${server.port}`),
      masters: masterServers,
      replicas: replicaServers,
      async masterOf(key) {
        const live = servers.find((server) => admins.has(server))!;
        const slot = (await adminOf(live).call("CLUSTER", "KEYSLOT", key)) as number;
        const ranges = (await adminOf(live).call("CLUSTER", "SLOTS")) as [number, number, [string, number]][];
        const [, , [, port]] = ranges.find(([first, last]) => first <= slot && slot <= last)!;
        return byPort.get(port)!;
      },
      async failover(master) {
        adminOf(master).disconnect();
        admins.delete(master);
        await master.stop();
        const promoted = async () => {
          const ranges = (await adminOf(servers.find((server) => admins.has(server))!).call("CLUSTER", "SLOTS")) as [number, number, [string, number]][];
          return ranges.every(([, , [, port]]) => port !== master.port) && (await whole());
        };
        await waitFor(promoted, `a replica of the killed master (port ${master.port}) to take over`);
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A relay in a child process (so that kill -9 is real), started by scripts/relayProcess.ts. */
export interface RelayProcess extends Output {
  url: string;
  /** SIGKILL: the relay dies mid-work, as on a crash. */
  kill(): Promise<void>;
  /** What its cluster broker received from Redis so far (asked with SIGUSR2, read from its output); undefined without a cluster. */
  traffic(): Promise<BrokerTraffic | undefined>;
  /** Its process id (for /proc/<pid>/stat). */
  pid: number;
  stop(): Promise<void>;
}

export async function startRelayProcess(options: Record<string, unknown>): Promise<RelayProcess> {
  const child = spawn(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(ROOT, "scripts/relayProcess.ts")], {
    cwd: ROOT,
    env: { ...process.env, KEYWAY_TEST_RELAY: JSON.stringify({ port: 0, pollingInterval: 200, ...options }) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output = follow(child);
  const line = await output.waitForLine(/Relay listening on ws:\/\/\S+/, "the relay to listen", 120_000).catch(async (error) => {
    child.kill("SIGKILL");
    throw error;
  });
  return {
    ...output,
    url: /ws:\/\/[^\s]+/.exec(line)![0],
    pid: child.pid!,
    async traffic() {
      const answers = () => output.lines.filter((printed) => printed.startsWith("Broker traffic "));
      const asked = answers().length;
      child.kill("SIGUSR2");
      for (const deadline = Date.now() + 30_000; answers().length <= asked; await new Promise((resolve) => setTimeout(resolve, 10))) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the relay did not print its traffic; output:\n${output.lines.join("\n")}`);
      }
      const text = answers()[asked].replace(/^Broker traffic \d+ /, "");
      return text === "undefined" ? undefined : (JSON.parse(text) as BrokerTraffic);
    },
    async kill() {
      child.kill("SIGKILL");
      await exited(child);
    },
    async stop() {
      child.kill("SIGTERM");
      await exited(child);
    },
  };
}
