// redis-server and relays as child processes: for the cluster tests and `npm run bench:cluster`.
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
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
  /** Kills it (SIGKILL: nothing saved, as a crash) and starts it again on the same port, empty. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startRedis(): Promise<TestRedis> {
  const redisServer = systemBinary("redis-server");
  const port = await findFreePort();
  let child: ChildProcess;
  let output: Output;
  async function start(): Promise<void> {
    child = spawn(redisServer, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: ["ignore", "pipe", "pipe"] });
    output = follow(child);
    await output.waitForLine(/Ready to accept connections/, "redis-server ready");
  }
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
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

/** A relay in a child process (so that kill -9 is real), started by scripts/relayProcess.ts. */
export interface RelayProcess extends Output {
  url: string;
  /** SIGKILL: the relay dies mid-work, as on a crash. */
  kill(): Promise<void>;
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
