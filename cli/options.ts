import { type Command, Option } from "commander";

export const DEFAULT_RPC_URL = "http://127.0.0.1:8545";

/** The options every command takes, from flags or the environment. */
export interface GlobalOptions {
  rpcUrl: string;
  /** Only writes need it; it is never printed. */
  privateKey?: string;
  /** Default: the address in the package's deployments/localhost.json (written by `npm start`). */
  registry?: string;
  json: boolean;
  verbose: boolean;
}

export function addGlobalOptions(program: Command): Command {
  return program
    .addOption(new Option("--rpc-url <url>", "JSON-RPC URL of the node").env("KEYWAY_RPC_URL").default(DEFAULT_RPC_URL))
    .addOption(new Option("--private-key <key>", "private key that signs writes and messages (never printed)").env("KEYWAY_PRIVATE_KEY"))
    .addOption(
      new Option("--registry <address>", "StreamRegistry address (default: deployments/localhost.json from npm start)").env(
        "KEYWAY_REGISTRY",
      ),
    )
    .option("--json", "machine-readable JSON output", false)
    .option("--verbose", "show stack traces and underlying errors", false);
}

/** The global options as seen from any (sub)command. */
export function globalOptions(command: Command): GlobalOptions {
  return command.optsWithGlobals<GlobalOptions>();
}
