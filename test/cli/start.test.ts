import { expect } from "chai";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import path from "node:path";
import WebSocket from "ws";
import { findFreePort, isPortTaken } from "../../scripts/localNode";
import { LOCAL_DEPLOYMENT_FILE } from "../../scripts/start";
import { buildCli, cleanEnv, waitFor } from "./harness";

const ROOT = path.resolve(__dirname, "..", "..");

/** The node's port and a free one for the relay: never 8545/8546, which a developer's npm start may hold. */
interface Ports {
  port: number;
  relayPort: number;
}

async function freePorts(): Promise<Ports> {
  const port = await findFreePort();
  let relayPort = await findFreePort();
  while (relayPort === port) relayPort = await findFreePort();
  return { port, relayPort };
}

/** `npm start`'s script itself (npm start = build:cli, then this). */
function startScript({ port, relayPort }: Ports): ChildProcess {
  return spawn(process.execPath, ["-r", "ts-node/register/transpile-only", "scripts/start.ts", "--port", String(port), "--relay-port", String(relayPort)], {
    cwd: ROOT,
    env: cleanEnv(),
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** `npm start` as a user runs it, in its own process group as a terminal's foreground job is. */
function npmStart({ port, relayPort }: Ports): ChildProcess {
  return spawn("npm", ["start", "--", "--port", String(port)], {
    cwd: ROOT,
    env: cleanEnv({
      KEYWAY_PORT: undefined,
      KEYWAY_RELAY_PORT: String(relayPort),
    }),
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
}

function collect(child: ChildProcess): {
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
} {
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { stdout: () => stdout, stderr: () => stderr, exit };
}

/** Pids of processes whose command line mentions `--port <port>`: a node left behind would. */
function processesOnPort(port: number): number[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        const args = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
        return args.some((arg, i) => arg === "--port" && args[i + 1] === String(port));
      } catch {
        return false; // exited while we looked
      }
    })
    .map(Number);
}

/**
 * Runs `body` against a started `npm start`; whatever it throws, nothing the start left is
 * left running: the script is asked to stop (SIGINT, to its group when it has one), then
 * any node still on the port is killed.
 */
async function stoppingAfter(child: ChildProcess, output: ReturnType<typeof collect>, ports: Ports, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        if (child.spawnargs[0] === "npm") process.kill(-child.pid!, "SIGINT");
        else child.kill("SIGINT");
      } catch {
        // already gone
      }
      await Promise.race([output.exit, new Promise((resolve) => setTimeout(resolve, 30_000))]);
    }
    for (const pid of processesOnPort(ports.port)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // exited meanwhile
      }
    }
  }
}

/** Connects to a relay and resolves with its first frame (hello), then closes. */
function firstFrame(url: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.once("error", reject);
    socket.once("message", (data) => {
      resolve(JSON.parse(data.toString()));
      socket.close();
    });
  });
}

async function rpc(url: string, method: string, params: unknown[] = []): Promise<unknown> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  return ((await response.json()) as { result: unknown }).result;
}

describe("npm start (scripts/start.ts)", function () {
  // Each test builds, starts a node, deploys and runs the CLI several times: on a loaded 2-core
  // machine that alone can take minutes, and the waits inside allow up to 90 s for the banner.
  this.timeout(300_000);
  let savedDeployment: string | undefined;

  before(function () {
    buildCli();
    savedDeployment = existsSync(LOCAL_DEPLOYMENT_FILE) ? readFileSync(LOCAL_DEPLOYMENT_FILE, "utf8") : undefined;
  });

  // The script writes the package's deployments/localhost.json: leave the developer's as it was.
  after(function () {
    if (savedDeployment === undefined) rmSync(LOCAL_DEPLOYMENT_FILE, { force: true });
    else writeFileSync(LOCAL_DEPLOYMENT_FILE, savedDeployment);
  });

  async function expectServing(output: ReturnType<typeof collect>, { port, relayPort }: Ports): Promise<void> {
    await waitFor(() => output.stdout().includes("Press Ctrl-C") && output.stdout().includes("message verify"), "the banner", 90_000);
    const url = `http://127.0.0.1:${port}`;
    expect(output.stdout()).to.include(`RPC URL:   ${url}`);
    expect(await rpc(url, "eth_chainId")).to.equal("0x7a69");
    const deployment = JSON.parse(readFileSync(LOCAL_DEPLOYMENT_FILE, "utf8"));
    expect(Object.keys(deployment)).to.have.members(["network", "chainId", "registryAddress", "deployBlock", "transactionHash"]);
    expect(deployment).to.include({ network: "localhost", chainId: 31337 });
    expect(output.stdout()).to.include(`Registry:  ${deployment.registryAddress}`);
    expect(await rpc(url, "eth_getCode", [deployment.registryAddress, "latest"])).to.match(/^0x[0-9a-f]{100,}$/);
    expect(output.stdout().match(/key 0x[0-9a-f]{64}/g)).to.have.length(3);
    expect(processesOnPort(port)).to.have.length.greaterThan(0);
    // The relay, on the same chain and registry.
    expect(output.stdout()).to.include(`\nRelay: ws://127.0.0.1:${relayPort}\n`);
    const hello = await firstFrame(`ws://127.0.0.1:${relayPort}`);
    expect(hello).to.deep.include({
      type: "hello",
      protocol: 1,
      chainId: 31337,
      registry: deployment.registryAddress,
    });
  }

  async function expectStopped(output: ReturnType<typeof collect>, { port, relayPort }: Ports): Promise<void> {
    expect(await output.exit, output.stderr()).to.equal(0);
    expect(output.stdout()).to.include("Node stopped.");
    expect(await isPortTaken(port)).to.equal(false);
    expect(await isPortTaken(relayPort)).to.equal(false);
    expect(processesOnPort(port)).to.deep.equal([]);
  }

  it("serves the registry on 127.0.0.1, its printed commands work as printed, and SIGINT stops the node", async function () {
    // A node, a relay and six CLI runs: minutes on a loaded 2-core machine.
    this.timeout(600_000);
    const ports = await freePorts();
    const child = startScript(ports);
    const output = collect(child);
    await stoppingAfter(child, output, ports, async () => {
      await expectServing(output, ports);

      // Paste the printed lines into a shell, in order, exactly as printed.
      const lines = output.stdout().split("\n");
      const block = (heading: string) => {
        const start = lines.findIndex((line) => line.startsWith(heading)) + 1;
        expect(start, heading).to.be.greaterThan(0);
        return lines.slice(start, lines.indexOf("", start)).map((line) => line.trim());
      };
      const script = block("Try,");
      const shell = spawnSync("bash", ["-euo", "pipefail", "-c", script.join("\n")], { cwd: ROOT, env: cleanEnv(), encoding: "utf8" });
      expect(shell.status, shell.stderr).to.equal(0);
      expect(shell.stdout).to.match(/Created stream 0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266\/demo/);
      expect(shell.stdout).to.match(/yes: 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 has subscribe/);
      expect(shell.stdout).to.match(/^valid\b/m);

      // The live example: the subscribe line in one shell, the publish line in another (again
      // until the subscriber is live: it subscribes from now on, so an earlier message is not its).
      const [subscribeLine, publishLine] = block("Live through the relay");
      const exports = script.filter((line) => line.startsWith("export ")).join("\n"); // the same terminal setup
      // Its own process group, as a terminal's job: Ctrl-C (SIGINT to the group) reaches npx and keyway.
      const subscriber = spawn("bash", ["-c", `${exports}\n${subscribeLine}`], {
        cwd: ROOT,
        env: cleanEnv(),
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      });
      const received = collect(subscriber);
      try {
        await waitFor(
          () => {
            if (received.stdout().includes('"content":{"temperature":21.7}')) return true;
            const published = spawnSync("bash", ["-euo", "pipefail", "-c", `${exports}\n${publishLine}`], { cwd: ROOT, env: cleanEnv(), encoding: "utf8" });
            expect(published.status, published.stderr).to.equal(0);
            return received.stdout().includes('"content":{"temperature":21.7}');
          },
          "the subscriber to print the published message",
          120_000
        );
        expect(JSON.parse(received.stdout().split("\n")[0])).to.deep.include({
          publisher: "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266",
          content: { temperature: 21.7 },
        });
      } finally {
        process.kill(-subscriber.pid!, "SIGINT");
        await received.exit;
      }

      child.kill("SIGINT");
      await expectStopped(output, ports);
    });
  });

  it("npm start stops cleanly on Ctrl-C (SIGINT to its process group)", async function () {
    const ports = await freePorts();
    const child = npmStart(ports);
    const output = collect(child);
    await stoppingAfter(child, output, ports, async () => {
      await expectServing(output, ports);
      process.kill(-child.pid!, "SIGINT");
      await expectStopped(output, ports);
    });
  });

  it("npm start stops cleanly when only npm gets SIGTERM (no orphaned node)", async function () {
    const ports = await freePorts();
    const { port } = ports;
    const child = npmStart(ports);
    const output = collect(child);
    await stoppingAfter(child, output, ports, async () => {
      await expectServing(output, ports);
      child.kill("SIGTERM");
      // npm reports the signal as its own exit status; what matters is what is left running.
      await output.exit;
      await waitFor(() => processesOnPort(port).length === 0, "the node to stop", 30_000);
      expect(await isPortTaken(port)).to.equal(false);
      // The relay lives in the script's process: its port is free once that process is gone.
      await waitFor(async () => !(await isPortTaken(ports.relayPort)), "the relay's port to be free", 30_000);
    });
  });

  it("fails with one line on stderr and a non-zero exit when the port is taken", async function () {
    const ports = await freePorts();
    const { port } = ports;
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(port, "127.0.0.1", resolve));
    try {
      const output = collect(startScript(ports));
      expect(await output.exit).to.equal(1);
      const lines = output.stderr().trimEnd().split("\n");
      expect(lines).to.have.length(1);
      expect(lines[0]).to.match(new RegExp(`Port ${port} on 127.0.0.1 is already in use`));
      expect(processesOnPort(port)).to.deep.equal([]);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
