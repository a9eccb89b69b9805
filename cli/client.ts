import { existsSync } from "node:fs";
import path from "node:path";
import { type Deployment, type EncryptionMode, isPrivateKey, KeywayClient, MissingSignerError } from "../sdk";
import { readDeployment } from "../sdk/node";
import { CliError } from "./errors";
import { ExitCode } from "./exitCodes";
import type { GlobalOptions } from "./options";
import { watchPendingWrites } from "./progress";

/** Where `npm start` writes deployments/localhost.json: the bundle lives in dist/, the package root is one up. */
const DEPLOYMENTS_DIR = path.resolve(__dirname, "..", "deployments");

/** --registry / KEYWAY_REGISTRY, else the deployment `npm start` wrote (which also fixes the chain id). */
export async function registry(options: GlobalOptions): Promise<{ registryAddress: string } | { deployment: Deployment }> {
  if (options.registry !== undefined) return { registryAddress: options.registry };
  if (!existsSync(path.join(DEPLOYMENTS_DIR, "localhost.json"))) {
    throw new CliError("no registry address: pass --registry or set KEYWAY_REGISTRY, or run npm start", ExitCode.NO_REGISTRY);
  }
  return { deployment: await readDeployment("localhost", DEPLOYMENTS_DIR) };
}

/** --private-key / KEYWAY_PRIVATE_KEY, checked here so that a malformed key is reported without being echoed. */
export function privateKey(options: GlobalOptions): `0x${string}` | undefined {
  if (options.privateKey === undefined || options.privateKey === "") return undefined;
  const key = options.privateKey.trim().replace(/^(0x)?/, "0x");
  if (!isPrivateKey(key)) {
    throw new CliError("invalid private key: expected 64 hex digits (0x optional) of a number from 1 to n-1 (secp256k1)", ExitCode.USAGE);
  }
  return key as `0x${string}`;
}

/**
 * Runs a command with a client for the configured node, registry and key, and releases it
 * after; with `writes`, it first checks for a key; `relayUrl` is for publish/subscribe. The permission
 * cache is off unless asked for: a one-shot command would only pay for its event watcher,
 * while `message verify` asks about the same publishers line after line.
 */
export async function withClient(
  options: GlobalOptions,
  run: (client: KeywayClient, options: GlobalOptions) => Promise<void>,
  { cache = false, writes = false, relayUrl, encryption }: { cache?: boolean; writes?: boolean; relayUrl?: string; encryption?: EncryptionMode } = {},
): Promise<void> {
  const pending = watchPendingWrites(options.rpcUrl);
  const client = new KeywayClient({
    rpcUrl: options.rpcUrl,
    ...(await registry(options)),
    privateKey: privateKey(options),
    onTransactionSent: pending.onSent,
    ...(cache ? {} : { cache: false as const }),
    relayUrl,
    encryption,
  });
  try {
    // Before any RPC: a missing key is the user's to fix whatever the node says.
    if (writes && client.context.walletClient === undefined) throw new MissingSignerError("this command");
    const running = run(client, options);
    running.catch(() => {}); // Once the node is lost, how the abandoned command ends no longer matters.
    await Promise.race([running, pending.nodeLost]);
  } finally {
    pending.stop();
    client.destroy();
  }
}

/** `withClient` for commands that send transactions: they need a key. */
export function withWriteClient(options: GlobalOptions, run: (client: KeywayClient, options: GlobalOptions) => Promise<void>): Promise<void> {
  return withClient(options, run, { writes: true });
}
