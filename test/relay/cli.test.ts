import { expect } from "chai";
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import path from "node:path";
import { findFreePort, isPortTaken } from "../../scripts/localNode";
import { expectFailure, KEYWAY_BIN, startTestChain, type TestChain } from "../cli/harness";
import { closeAllClients, connect } from "./fixtures";
import { until } from "./helpers";

const ROOT = path.resolve(__dirname, "..", "..");

/** `keyway relay` as a user starts it, with its output collected. */
function startRelayCli(chain: TestChain, args: string[]) {
  const child = spawn(process.execPath, [KEYWAY_BIN, "relay", ...args], { cwd: ROOT, env: chain.env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { child, exit, stdout: () => stdout, stderr: () => stderr };
}

describe("keyway relay (CLI)", function () {
  let chain: TestChain;

  before(async function () {
    chain = await startTestChain();
  });
  afterEach(closeAllClients);
  after(async function () {
    await chain?.stop();
  });

  it("starts, prints its URL, serves the protocol, and stops on SIGINT", async function () {
    const port = await findFreePort();
    const relay = startRelayCli(chain, ["--port", String(port)]);
    try {
      await until(() => relay.stdout().includes("Press Ctrl-C"), "the relay to start", 60_000);
      expect(relay.stdout()).to.include(`Relay: ws://127.0.0.1:${port}\n`);
      const client = await connect(`ws://127.0.0.1:${port}`);
      expect(client.hello).to.include({ type: "hello", protocol: 1, chainId: 31337, registry: chain.deployment.registryAddress });
      relay.child.kill("SIGINT");
      expect(await relay.exit).to.equal(0);
      expect((await client.closed).code).to.equal(1001);
      expect(await isPortTaken(port)).to.equal(false);
      expect(relay.stderr()).to.equal("");
    } finally {
      relay.child.kill("SIGKILL");
    }
  });

  it("prints one JSON line with --json and takes its port from KEYWAY_RELAY_PORT", async function () {
    const port = await findFreePort();
    chain.env.KEYWAY_RELAY_PORT = String(port);
    const relay = startRelayCli(chain, ["--json", "--recovery-threads", "2"]);
    delete chain.env.KEYWAY_RELAY_PORT;
    try {
      await until(() => relay.stdout().includes("\n"), "the relay to start", 60_000);
      expect(JSON.parse(relay.stdout())).to.deep.equal({ url: `ws://127.0.0.1:${port}`, chainId: 31337, registryAddress: chain.deployment.registryAddress });
      relay.child.kill("SIGTERM");
      expect(await relay.exit).to.equal(0);
    } finally {
      relay.child.kill("SIGKILL");
    }
  });

  it("takes --max-connections-per-address and --max-connections (a benchmark from one address opens thousands)", async function () {
    const port = await findFreePort();
    const relay = startRelayCli(chain, ["--port", String(port), "--max-connections-per-address", "1", "--max-connections", "5000"]);
    try {
      await until(() => relay.stdout().includes("Press Ctrl-C"), "the relay to start", 60_000);
      await connect(`ws://127.0.0.1:${port}`);
      let refused: unknown;
      await connect(`ws://127.0.0.1:${port}`).catch((error: unknown) => (refused = error));
      expect(String(refused)).to.match(/429/);
      for (const [flag, value] of [["--max-connections", "0"], ["--max-connections-per-address", "1.5"]]) {
        expectFailure(await chain.keyway(["relay", flag, value]), 2, new RegExp(`invalid ${flag} "${value.replace(".", "\\.")}": expected an integer >= 1`));
      }
    } finally {
      relay.child.kill("SIGKILL");
    }
  });

  it("takes --publish-rate (a benchmark publishes as fast as it can from one connection), exit 2 for a bad one", async function () {
    const port = await findFreePort();
    const relay = startRelayCli(chain, ["--port", String(port), "--publish-rate", "2"]);
    try {
      await until(() => relay.stdout().includes("Press Ctrl-C"), "the relay to start", 60_000);
      const client = await connect(`ws://127.0.0.1:${port}`);
      const replies = await Promise.all([0, 1, 2, 3, 4, 5].map(() => client.request({ type: "publish", message: {} })));
      expect(replies.filter((reply) => reply.code === "RATE_LIMITED").map((reply) => reply.message)).to.include("at most 2 publishes per second per connection");
      for (const value of ["0", "1.5", "fast"]) {
        expectFailure(await chain.keyway(["relay", "--publish-rate", value]), 2, new RegExp(`invalid --publish-rate "${value.replace(".", "\\.")}": expected an integer >= 1`));
      }
    } finally {
      relay.child.kill("SIGKILL");
    }
  });

  it("fails with one line and exit 1 when the port is taken, and 2 for a port or thread count not written in decimal digits or out of range", async function () {
    const port = await findFreePort();
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(port, "127.0.0.1", resolve));
    try {
      expectFailure(await chain.keyway(["relay", "--port", String(port)]), 1, new RegExp(`port ${port} on 127.0.0.1 is already in use`));
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
    for (const port of ["http", "", " 80", "0x50", "8e1", "80.0", "65536", "-1"]) {
      expectFailure(await chain.keyway(["relay", "--port", port]), 2, new RegExp(`invalid port ${JSON.stringify(port).replace(".", "\\.")}: expected 0 to 65535`));
    }
    for (const threads of ["-1", "1.5", "many", "", "0x2", "1e1", " 2"]) {
      expectFailure(await chain.keyway(["relay", "--recovery-threads", threads]), 2, new RegExp(`invalid --recovery-threads "${threads.replace(".", "\\.")}": expected an integer >= 0`));
    }
  });

  it("--redis-cluster: exit 2 with one line for a list that is not host:port,... and for --redis beside it (one Redis or a cluster)", async function () {
    for (const nodes of ["", "127.0.0.1", "127.0.0.1:7000,", "redis://127.0.0.1:7000", "127.0.0.1:0", "127.0.0.1:70000"]) {
      expectFailure(await chain.keyway(["relay", "--redis-cluster", nodes]), 2, /invalid --redis-cluster .*: expected host:port,host:port,\.\.\./);
    }
    expectFailure(await chain.keyway(["relay", "--redis", "redis://127.0.0.1:6379", "--redis-cluster", "127.0.0.1:7000"]), 2, /give --redis \(one Redis\) or --redis-cluster \(a Redis Cluster\), not both/);
  });
});
