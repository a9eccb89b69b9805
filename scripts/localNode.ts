import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import path from "node:path";

/** A Hardhat node running as a child process on 127.0.0.1. */
export interface LocalNode {
  url: string;
  port: number;
  process: ChildProcess;
  /** Stops the node and resolves once its process has exited (the port is free again). */
  stop(): Promise<void>;
}

const ROOT = path.resolve(__dirname, "..");
const READY = /Started HTTP and WebSocket JSON-RPC server at/;

/** Resolves with a port that was free a moment ago on 127.0.0.1. */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Whether something already listens on 127.0.0.1:`port`. */
export function isPortTaken(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(true));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(false)));
  });
}

/**
 * Starts `hardhat node` on 127.0.0.1 (never on all interfaces) and resolves once it accepts requests.
 * The binary is spawned directly, so the process we hold is the node itself and killing it
 * frees the port.
 */
export async function startLocalNode(
  options: {
    port?: number;
    timeoutMs?: number;
    /**
     * Run the node in its own process group, so that a terminal's Ctrl-C reaches only the
     * parent, which then stops the node itself (npm start): no race between the two exits.
     */
    detached?: boolean;
    /** The chain id the node reports (default Hardhat's 31337). */
    chainId?: number;
  } = {},
): Promise<LocalNode> {
  const port = options.port ?? (await findFreePort());
  if (await isPortTaken(port)) throw new Error(`Port ${port} on 127.0.0.1 is already in use`);
  const hardhat = path.join(ROOT, "node_modules", ".bin", "hardhat");
  const child = spawn(hardhat, ["node", "--hostname", "127.0.0.1", "--port", String(port)], {
    cwd: ROOT,
    env: options.chainId === undefined ? process.env : { ...process.env, KEYWAY_HARDHAT_CHAIN_ID: String(options.chainId) },
    stdio: ["ignore", "pipe", "pipe"],
    detached: options.detached ?? false,
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
  };

  let output = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => fail(new Error(`hardhat node did not start within ${options.timeoutMs ?? 60_000} ms:\n${output}`)),
      options.timeoutMs ?? 60_000,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (READY.test(output)) done();
    };
    const onExit = (code: number | null) => fail(new Error(`hardhat node exited with code ${code}:\n${output}`));
    function cleanup() {
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      child.stderr?.off("data", onData);
      child.off("exit", onExit);
    }
    function done() {
      cleanup();
      resolve();
    }
    function fail(error: Error) {
      cleanup();
      void stop().then(() => reject(error));
    }
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", onExit);
  });
  // Keep draining the node's output so that a full pipe never blocks it.
  child.stdout?.resume();
  child.stderr?.resume();
  return { url: `http://127.0.0.1:${port}`, port, process: child, stop };
}
