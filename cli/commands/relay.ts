import { type Command, Option } from "commander";
import { createRelay, DEFAULT_LIMITS, DEFAULT_RECOVERY_THREADS, DEFAULT_RELAY_HOST, DEFAULT_RELAY_PORT } from "../../relay";
import { privateKey, registry } from "../client";
import { CliError } from "../errors";
import { ExitCode } from "../exitCodes";
import { wholeNumberIn } from "../numbers";
import { globalOptions } from "../options";
import { print } from "../output";
import { parseClusterNodes } from "../../relay/redisClients";

function parsePort(text: string): number {
  const port = wholeNumberIn(text, 0, 65535);
  if (port === undefined) throw new CliError(`invalid port ${JSON.stringify(text)}: expected 0 to 65535`, ExitCode.USAGE);
  return port;
}

function parseThreads(text: string): number {
  const threads = wholeNumberIn(text, 0, Number.MAX_SAFE_INTEGER);
  if (threads === undefined) throw new CliError(`invalid --recovery-threads ${JSON.stringify(text)}: expected an integer >= 0`, ExitCode.USAGE);
  return threads;
}

/** A limit flag's value: an integer >= 1. */
function parseLimit(flag: string, text: string): number {
  const value = wholeNumberIn(text, 1, Number.MAX_SAFE_INTEGER);
  if (value === undefined) throw new CliError(`invalid ${flag} ${JSON.stringify(text)}: expected an integer >= 1`, ExitCode.USAGE);
  return value;
}

/** Resolves on the first SIGINT, SIGTERM or SIGHUP. */
function parseRedisCluster(text: string): string[] {
  const nodes = parseClusterNodes(text);
  if (nodes === undefined) throw new CliError(`invalid --redis-cluster ${JSON.stringify(text)}: expected host:port,host:port,...`, ExitCode.USAGE);
  return nodes;
}

function stopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const signals = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
    const stop = (signal: NodeJS.Signals) => {
      signals.forEach((name) => process.off(name, stop));
      resolve(signal);
    };
    signals.forEach((name) => process.on(name, stop));
  });
}

export function registerRelayCommand(program: Command): void {
  program
    .command("relay")
    .description("run a relay: live publish/subscribe over WebSocket, admitted by the registry (Ctrl-C stops it)")
    .option("--host <host>", "interface to listen on (anything but 127.0.0.1 exposes the relay to the network)", DEFAULT_RELAY_HOST)
    .addOption(new Option("--port <port>", "port to listen on; 0 picks a free one").env("KEYWAY_RELAY_PORT").default(String(DEFAULT_RELAY_PORT)))
    .option("--redis <url>", "join the relays sharing this Redis (redis://host:port): cluster fan-out, history, presence and duplicate check (docs/relay.md, Cluster)")
    .option("--redis-cluster <nodes>", "join the relays sharing this Redis Cluster, reached through any of these nodes (host:port,host:port,...): as --redis, with sharded Pub/Sub (not with --redis)")
    .option("--recovery-threads <n>", "worker threads recovering publishers' keys from signatures; 0: the relay's own thread", String(DEFAULT_RECOVERY_THREADS))
    .option("--max-connections <n>", "open connections in all; beyond it the upgrade is answered 503", String(DEFAULT_LIMITS.maxConnections))
    .option("--max-connections-per-address <n>", `open connections from one remote address (IPv6: /64); beyond it 429 (default: ${DEFAULT_LIMITS.maxConnectionsPerAddress} with a --host beyond loopback; on loopback every client is this machine: --max-connections)`)
    .option("--publish-rate <n>", "publishes per second one connection may make (a second's worth at once); beyond it RATE_LIMITED", String(DEFAULT_LIMITS.publishRate))
    .addOption(new Option("--sponsor-key <key>", "a funded key with which the relay sends signed changes its signed-in clients hand it (sponsor frames); off without it (never printed)").env("KEYWAY_SPONSOR_KEY"))
    .action(async (flags: { host: string; port: string; redis?: string; redisCluster?: string; recoveryThreads: string; maxConnections: string; maxConnectionsPerAddress?: string; publishRate: string; sponsorKey?: string }, command: Command) => {
      const port = parsePort(flags.port);
      const redisCluster = flags.redisCluster === undefined ? undefined : parseRedisCluster(flags.redisCluster);
      if (redisCluster !== undefined && flags.redis !== undefined) throw new CliError("give --redis (one Redis) or --redis-cluster (a Redis Cluster), not both", ExitCode.USAGE);
      const recoveryThreads = parseThreads(flags.recoveryThreads);
      const maxConnections = parseLimit("--max-connections", flags.maxConnections);
      const maxConnectionsPerAddress = flags.maxConnectionsPerAddress === undefined ? undefined : parseLimit("--max-connections-per-address", flags.maxConnectionsPerAddress);
      const publishRate = parseLimit("--publish-rate", flags.publishRate);
      const options = globalOptions(command);
      const sponsorKey = flags.sponsorKey === undefined ? undefined : privateKey({ ...options, privateKey: flags.sponsorKey });
      // A cluster relay reports its Redis link (down, back up) on stderr; a single relay has nothing to report there.
      const log = flags.redis === undefined && redisCluster === undefined ? undefined : (line: string) => process.stderr.write(`keyway relay: ${line}\n`);
      const relay = await createRelay({ rpcUrl: options.rpcUrl, ...(await registry(options)), host: flags.host, port, redisUrl: flags.redis, redisCluster, recoveryThreads, maxConnections, maxConnectionsPerAddress, publishRate, sponsorKey, log }).catch((error: NodeJS.ErrnoException) => {
        if (error.code === "EADDRINUSE") throw new CliError(`port ${port} on ${flags.host} is already in use: pick another with --port`, ExitCode.FAILURE);
        throw error;
      });
      // Listening for the stop signal before saying it is up: a supervisor may send it as soon as it reads the line.
      const stopped = stopSignal();
      print(options, { url: relay.url, chainId: relay.chainId, registryAddress: relay.registryAddress }, () =>
        [`Relay: ${relay.url}`, `Chain ${relay.chainId}, registry ${relay.registryAddress}. Press Ctrl-C to stop it.`].join("\n"),
      );
      const signal = await stopped;
      if (!options.json) process.stdout.write(`${signal}: stopping the relay...\n`);
      await relay.close();
    });
}
