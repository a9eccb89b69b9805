/**
 * `npm start`: a local Hardhat node on 127.0.0.1 with the registry deployed, and a relay on it,
 * ready for the `keyway` CLI. Ports: `--port <n>` or KEYWAY_PORT for the node, else 8545;
 * `--relay-port <n>` or KEYWAY_RELAY_PORT for the relay, else 8546
 * (`npm start -- --port 9545 --relay-port 9546`). Runs until Ctrl-C (SIGINT), SIGTERM or
 * SIGHUP, then stops the relay and the node and frees both ports.
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { createPublicClient, formatEther, http } from "viem";
import { hardhat } from "viem/chains";
import { createRelay, DEFAULT_RELAY_PORT, type Relay } from "../relay";
import type { Deployment } from "../sdk/deployment";
import { writeDeployment } from "../sdk/node";
import { wholeNumberIn } from "../cli/numbers";
import { formatStreamId } from "../sdk/streamId";
import { appPort, localAppConfig, serveApp } from "./appServer";
import { deployLocalRegistry, type DevAccount, devAccounts, sponsorAccount } from "./devChain";
import { isPortTaken, startLocalNode, type LocalNode } from "./localNode";

const ROOT = path.resolve(__dirname, "..");
const DEFAULT_PORT = 8545;
export const LOCAL_DEPLOYMENT_FILE = path.join(ROOT, "deployments", "localhost.json");

function parsePort(text: string): number {
  const port = wholeNumberIn(text, 1, 65535);
  if (port === undefined) throw new Error(`Invalid port ${JSON.stringify(text)}`);
  return port;
}

/** The node's and the relay's ports, from the flags, else the environment, else the defaults. */
function portsFrom(argv: string[]): { port: number; relayPort: number } {
  const { values } = parseArgs({ args: argv, options: { port: { type: "string" }, "relay-port": { type: "string" } } });
  return {
    port: parsePort(values.port ?? process.env.KEYWAY_PORT ?? String(DEFAULT_PORT)),
    relayPort: parsePort(values["relay-port"] ?? process.env.KEYWAY_RELAY_PORT ?? String(DEFAULT_RELAY_PORT)),
  };
}

/** What the user sees once everything is up: where things are and commands to paste. */
function banner(node: LocalNode, relay: Relay, deployment: Deployment, accounts: DevAccount[], balances: bigint[], appUrl: string): string {
  const [alice, bob] = accounts;
  const streamId = formatStreamId(alice.account.address, "/demo");
  const env = [
    ...(node.port === DEFAULT_PORT ? [] : [`export KEYWAY_RPC_URL=${node.url}`]),
    ...(relay.port === DEFAULT_RELAY_PORT ? [] : [`export KEYWAY_RELAY_URL=${relay.url}`]),
    `export KEYWAY_PRIVATE_KEY=${alice.privateKey}`,
  ];
  return [
    "Keyway local chain is running. Press Ctrl-C to stop it.",
    "",
    `RPC URL:   ${node.url}`,
    `Relay: ${relay.url}`,
    `Chain id:  ${deployment.chainId}`,
    `Registry:  ${deployment.registryAddress} (block ${deployment.deployBlock}, saved in deployments/localhost.json)`,
    `App: ${appUrl}`,
    "",
    "Development accounts (Hardhat's public test keys: never use them on a real network):",
    ...accounts.map(
      ({ account, privateKey }, i) => `  #${i}  ${account.address}  ${Number(formatEther(balances[i])).toFixed(2)} ETH  key ${privateKey}`,
    ),
    "",
    "Try, in another terminal in this directory (account #0 signs):",
    ...env.map((line) => `  ${line}`),
    `  npx keyway stream create /demo --metadata '{"description":"my first stream"}'`,
    `  npx keyway stream show ${streamId}`,
    `  npx keyway permission grant ${streamId} ${bob.account.address} subscribe --expires 7d`,
    `  npx keyway permission list ${streamId}`,
    `  npx keyway permission check ${streamId} ${bob.account.address} subscribe`,
    `  echo '{"temperature":21.5}' | npx keyway message sign ${streamId} | npx keyway message verify ${streamId}`,
    "",
    "Live through the relay, once #1 holds subscribe (the grant above): subscribe in one terminal, publish in another:",
    `  KEYWAY_PRIVATE_KEY=${bob.privateKey} npx keyway subscribe ${streamId}`,
    `  echo '{"temperature":21.7}' | npx keyway publish ${streamId}`,
    "",
  ].join("\n");
}

async function main(): Promise<void> {
  const { port, relayPort } = portsFrom(process.argv.slice(2));
  for (const [taken, flag, variable] of [[port, "--port", "KEYWAY_PORT"], [relayPort, "--relay-port", "KEYWAY_RELAY_PORT"]] as const) {
    if (await isPortTaken(taken)) {
      throw new Error(`Port ${taken} on 127.0.0.1 is already in use (npm start already running?): free it or pick another with ${flag} or ${variable}`);
    }
  }
  const node = await startLocalNode({ port, detached: true });
  let relay: Relay | undefined;
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping the relay and the node...\n`);
    // A relay that fails to close (a socket that errors while it ends) must not keep the node running.
    void Promise.resolve(relay?.close())
      .catch((error: unknown) => process.stderr.write(`npm start: the relay did not close cleanly: ${error instanceof Error ? error.message : String(error)}\n`))
      .then(() => node.stop())
      .then(() => {
        process.stdout.write("Node stopped.\n");
        process.exit(0);
      });
  };
  // The node is in its own process group: whatever ends this process must stop it.
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, stop);
  node.process.once("exit", (code) => {
    if (stopping) return;
    process.stderr.write(`The Hardhat node exited unexpectedly (code ${code})\n`);
    process.exit(1);
  });
  try {
    const deployment = await deployLocalRegistry(node.url);
    // localhost.json for the tools that read it; <chainId>.json as `keyway deploy` writes it.
    await writeDeployment(deployment, path.dirname(LOCAL_DEPLOYMENT_FILE));
    await writeDeployment(deployment, path.dirname(LOCAL_DEPLOYMENT_FILE), String(deployment.chainId));
    // The relay sponsors signed changes (an account without ETH can still grant and revoke).
    relay = await createRelay({ rpcUrl: node.url, deployment, port: relayPort, sponsorKey: sponsorAccount().privateKey });
    const accounts = devAccounts(3);
    const publicClient = createPublicClient({ chain: hardhat, transport: http(node.url) });
    const balances = await Promise.all(accounts.map(({ account }) => publicClient.getBalance({ address: account.address })));
    const app = await serveApp({ config: localAppConfig(deployment, node.url, accounts, relay.url), port: await appPort(isPortTaken) });
    process.stdout.write(banner(node, relay, deployment, accounts, balances, app.url));
  } catch (error) {
    stopping = true;
    await relay?.close();
    await node.stop();
    throw error;
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`npm start: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}\n`);
    process.exit(1);
  });
}
