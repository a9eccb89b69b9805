import { CommanderError } from "commander";
import { KeywayError, RegistryNotFoundError, RelayUnreachableError } from "../sdk";
import { errorChain } from "../sdk/errors";
import { ExitCode, exitCodeFor } from "./exitCodes";

/** A failure the CLI itself detects (no registry configured, no code at its address...). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "CliError";
  }
}

// viem reports a refused connection as an HttpRequestError caused by fetch's "fetch failed".
function isConnectionFailure(error: unknown): boolean {
  return errorChain(error).some(
    (e) => e instanceof Error && (e.name === "HttpRequestError" || /fetch failed|ECONNREFUSED/.test(e.message)),
  );
}

// Error messages (viem's especially) span several lines: the first one says what happened.
function firstLine(message: string): string {
  return message.split("\n").find((line) => line.trim() !== "")?.trim() ?? "unknown error";
}

/** The exit code and the one line the user sees for an error. */
export function describeError(error: unknown, rpcUrl: string): { exitCode: ExitCode; message: string } {
  if (isConnectionFailure(error)) {
    return { exitCode: ExitCode.NODE_UNREACHABLE, message: `cannot reach the node at ${rpcUrl}: is it running? (npm start)` };
  }
  if (error instanceof CliError) return { exitCode: error.exitCode, message: error.message };
  if (error instanceof KeywayError && error.code === "MISSING_SIGNER") {
    return { exitCode: ExitCode.MISSING_KEY, message: "this command needs a private key: pass --private-key or set KEYWAY_PRIVATE_KEY" };
  }
  if (error instanceof RelayUnreachableError) {
    return { exitCode: ExitCode.RELAY_UNREACHABLE, message: `cannot reach the relay at ${error.relayUrl} (${error.message.replace(/^Relay \S+: /, "")}): is it running? (npm start)` };
  }
  if (error instanceof RegistryNotFoundError) {
    return {
      exitCode: ExitCode.NO_REGISTRY,
      message: `no StreamRegistry at ${error.registryAddress} on ${rpcUrl} (node restarted? run npm start, or pass --registry)`,
    };
  }
  if (error instanceof KeywayError) return { exitCode: exitCodeFor(error.code), message: firstLine(error.message) };
  const message = error instanceof Error ? error.message : String(error);
  return { exitCode: ExitCode.FAILURE, message: firstLine(message) };
}

/**
 * Prints an error as one line on stderr (with the stack and causes only when `verbose`) and
 * returns the exit code. Commander has already printed its own usage errors.
 */
export function reportError(error: unknown, options: { rpcUrl: string; verbose: boolean }): ExitCode {
  if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
  const { exitCode, message } = describeError(error, options.rpcUrl);
  process.stderr.write(`keyway: ${message}\n`);
  if (options.verbose) {
    for (const e of errorChain(error)) process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  }
  return exitCode;
}
