import type { Command } from "commander";
import { InvalidArgumentError } from "../../sdk";
import { createRelay, DEFAULT_RELAY_HOST, DEFAULT_RELAY_PORT } from "../../relay";
import { withClient } from "../client";
import { globalOptions } from "../options";

function parsePort(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65_535) throw new InvalidArgumentError(`--port must be an integer from 0 to 65535, got ${text}`);
  return port;
}

/**
 * `keyway relay`: runs a relay for the configured node and registry until SIGINT/SIGTERM.
 * With `--redis`, it is one relay of a cluster: relays sharing that Redis deliver each
 * other's messages and share history and duplicate detection (docs/relay.md, Cluster).
 */
export function registerRelayCommand(program: Command): void {
  program
    .command("relay")
    .description("run a relay until Ctrl-C; with --redis, one of the relays sharing that Redis")
    .option("--host <host>", "interface to listen on", DEFAULT_RELAY_HOST)
    .option("--port <port>", "port (0: a free one)", parsePort, DEFAULT_RELAY_PORT)
    .option("--redis <url>", "join the relays sharing this Redis (redis://host:port)")
    .action((flags: { host: string; port: number; redis?: string }, command: Command) =>
      withClient(
        globalOptions(command),
        async (client) => {
          const log = (line: string) => process.stderr.write(`keyway relay: ${line}\n`);
          const relay = await createRelay({ client, host: flags.host, port: flags.port, redisUrl: flags.redis, log });
          process.stdout.write(`${relay.url}\n`);
          await new Promise<void>((resolve) => {
            const stop = () => {
              process.off("SIGINT", stop).off("SIGTERM", stop);
              resolve();
            };
            process.on("SIGINT", stop).on("SIGTERM", stop);
          });
          await relay.close();
        },
        { cache: true },
      ),
    );
}
