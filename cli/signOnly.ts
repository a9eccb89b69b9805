import { type Command, Option } from "commander";
import { InvalidArgumentError, type RegistryCall, signChange, signedChangeToJSON } from "../sdk";
import { withWriteClient } from "./client";
import { parseExpiry } from "./expiry";
import type { GlobalOptions } from "./options";

/** The flags `--sign-only` adds to a write command. */
export interface SignOnlyFlags {
  signOnly: boolean;
  /** Unix seconds, parsed from --deadline. */
  deadline?: bigint;
  nonce?: bigint;
}

function parseDeadline(text: string): bigint {
  return BigInt(Math.floor(parseExpiry(text).getTime() / 1000));
}

function parseNonce(text: string): bigint {
  if (!/^\d{1,78}$/.test(text) || BigInt(text) >= 2n ** 256n) throw new InvalidArgumentError(`--nonce must be a whole number below 2^256, got ${text}`);
  return BigInt(text);
}

/** Adds `--sign-only`, `--deadline` and `--nonce` to a write command. */
export function addSignOnlyOptions(command: Command): Command {
  return command
    .option("--sign-only", "sign the change and print it as JSON instead of sending it (no transaction, no gas); send it with keyway tx submit", false)
    .addOption(new Option("--deadline <time>", "with --sign-only: until when the signed change may be sent, a duration or an ISO date/time (default: 1h)").argParser(parseDeadline))
    .addOption(new Option("--nonce <n>", "with --sign-only: the signer's nonce to use (default: its lowest unused one)").argParser(parseNonce));
}

/**
 * Signs `call` with the configured key and prints the signed change as one JSON line (what
 * `keyway tx submit` reads). Reads the chain (chain id, nonce bitmap, clock) but sends nothing.
 */
export function printSignedChange(options: GlobalOptions, flags: SignOnlyFlags, call: RegistryCall): Promise<void> {
  return withWriteClient(options, async (client) => {
    const signed = await signChange(client.context, { call, nonce: flags.nonce, deadline: flags.deadline });
    process.stdout.write(`${signedChangeToJSON(signed)}\n`);
  });
}
