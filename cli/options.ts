import { readFileSync } from "node:fs";
import { type Command, Option } from "commander";
import { wholeNumberIn } from "./numbers";
import { InvalidAccessGrantError, InvalidArgumentError, parseAccessGrantText, type SignedAccessGrant } from "../sdk";

export const DEFAULT_RPC_URL = "http://127.0.0.1:8545";
export const DEFAULT_RELAY_URL = "ws://127.0.0.1:8546";

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

/** `--relay-url` / KEYWAY_RELAY_URL, for the commands that talk to a relay. */
export function relayUrlOption(): Option {
  return new Option("--relay-url <url>", "WebSocket URL of the relay").env("KEYWAY_RELAY_URL").default(DEFAULT_RELAY_URL);
}

/** `--partition <n>`: a stream partition, 0 by default. */
export function partitionOption(): Option {
  return new Option("--partition <n>", "stream partition").default(0).argParser(parsePartition);
}

function parsePartition(text: string): number {
  const partition = wholeNumberIn(text, 0, 2 ** 32 - 1);
  if (partition === undefined) throw new InvalidArgumentError(`--partition must be an integer from 0 to ${2 ** 32 - 1}, got ${text}`);
  return partition;
}

/** `--grant <file>`: an access grant as `keyway grant issue` prints it, read and checked strictly. */
export function grantOption(use: string): Option {
  return new Option("--grant <file>", `${use} with the access grant in <file> (the JSON printed by keyway grant issue)`).argParser(readGrantFile);
}

/** The access grant in a file; a missing, unreadable or malformed file is InvalidArgumentError (usage, exit 2). */
export function readGrantFile(file: string): SignedAccessGrant {
  const text = readOptionFile("--grant", file);
  try {
    return parseAccessGrantText(text);
  } catch (error) {
    if (!(error instanceof InvalidAccessGrantError)) throw error;
    throw new InvalidArgumentError(`--grant: ${file} is not an access grant: ${error.problem}`);
  }
}

/** The text of the file an option names; one it cannot read is InvalidArgumentError (usage, exit 2) naming the option. */
export function readOptionFile(option: string, file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    throw new InvalidArgumentError(`${option}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}
