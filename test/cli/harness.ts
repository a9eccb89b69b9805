import { expect } from "chai";
import { execFileSync, spawn } from "node:child_process";
import path from "node:path";
import type { Deployment } from "../../sdk/deployment";
import { startLocalNode, type LocalNode } from "../../scripts/localNode";
import { deployLocalRegistry, devAccounts, type DevAccount } from "../../scripts/devChain";

const ROOT = path.resolve(__dirname, "..", "..");
export const KEYWAY_BIN = path.join(ROOT, "bin", "keyway.js");

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

let built = false;
/** Bundles the CLI as `npm ci` / `npm run build:cli` does, once per test run. */
export function buildCli(): void {
  if (built) return;
  execFileSync("npm", ["run", "--silent", "build:cli"], { cwd: ROOT, stdio: "inherit" });
  built = true;
}

/** The environment without any KEYWAY_* setting of the developer running the tests. */
export function cleanEnv(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("KEYWAY_")));
  return { ...env, ...overrides };
}

export interface RunOptions {
  /** The whole of stdin: text or raw bytes. */
  input?: string | Uint8Array;
  /** Called with all of stderr so far whenever more arrives: to act on a progress line while the command runs. */
  onStderr?: (stderr: string) => void;
}

/** Runs the real `keyway` binary as a child process. */
export function runKeyway(args: string[], { env, input, onStderr }: { env: NodeJS.ProcessEnv } & RunOptions): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [KEYWAY_BIN, ...args], { cwd: ROOT, env, stdio: "pipe" });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      onStderr?.(stderr);
    });
    // A command that stops reading early (a refused line) closes stdin under the rest of the input.
    child.stdin.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code !== "EPIPE") reject(error);
    });
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? "");
  });
}

/** A node on a free port with the registry deployed, and a `keyway` runner pointed at it. */
export interface TestChain {
  node: LocalNode;
  deployment: Deployment;
  /** Hardhat's first accounts: #0 deployed the registry; all are funded. */
  accounts: DevAccount[];
  /** Environment for the CLI: this node and registry, no key. */
  env: NodeJS.ProcessEnv;
  /** Runs `keyway` against this chain, signing with `signer` when given. */
  keyway(args: string[], options?: { signer?: DevAccount; env?: Record<string, string | undefined> } & RunOptions): Promise<CliResult>;
  stop(): Promise<void>;
}

export async function startTestChain(): Promise<TestChain> {
  buildCli();
  const node = await startLocalNode();
  try {
    const deployment = await deployLocalRegistry(node.url);
    const env = cleanEnv({ KEYWAY_RPC_URL: node.url, KEYWAY_REGISTRY: deployment.registryAddress });
    return {
      node,
      deployment,
      accounts: devAccounts(4),
      env,
      keyway: (args, { signer, env: extra, ...run } = {}) =>
        runKeyway(args, { ...run, env: { ...env, ...(signer && { KEYWAY_PRIVATE_KEY: signer.privateKey }), ...extra } }),
      stop: () => node.stop(),
    };
  } catch (error) {
    await node.stop();
    throw error;
  }
}

/** Parses a --json result, failing the test with the CLI's stderr when it is not JSON. */
export function parseJson<T = unknown>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${result.code}): ${result.stdout}\nstderr: ${result.stderr}`);
  }
}

/** A failed command: the expected exit code and exactly one line on stderr, nothing on stdout. */
export function expectFailure(result: CliResult, exitCode: number, message: RegExp): void {
  expect(result.code, result.stderr).to.equal(exitCode);
  expect(result.stdout).to.equal("");
  expect(result.stderr.trimEnd().split("\n"), result.stderr).to.have.length(1);
  expect(result.stderr).to.match(/^keyway: /);
  expect(result.stderr).to.match(message);
  expect(result.stderr).not.to.match(/\n\s+at /);
}

/** Resolves once `condition` holds, polling every 100 ms; fails after `timeoutMs` (generous: the machine may be loaded). */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A `keyway` process left running (e.g. `subscribe`): its output so far, and its end. */
export interface RunningKeyway {
  stdoutLines(): string[];
  stderr(): string;
  /** Writes to its stdin. */
  write(text: string): void;
  endInput(): void;
  /** Resolves with the exit code and the whole output once it has exited. */
  exited: Promise<CliResult>;
  /** Sends a signal (it stays the test's job to await `exited`). */
  kill(signal?: NodeJS.Signals): void;
}

/** Starts the real `keyway` binary and returns at once. */
export function startKeyway(args: string[], { env }: { env: NodeJS.ProcessEnv }): RunningKeyway {
  const child = spawn(process.execPath, [KEYWAY_BIN, ...args], { cwd: ROOT, env, stdio: "pipe" });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<CliResult>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
  return {
    stdoutLines: () => stdout.split("\n").filter((line) => line !== ""),
    stderr: () => stderr,
    write: (text) => child.stdin.write(text),
    endInput: () => child.stdin.end(),
    exited,
    kill: (signal = "SIGTERM") => child.kill(signal),
  };
}
