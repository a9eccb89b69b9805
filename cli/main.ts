import { reportError } from "./errors";
import { DEFAULT_RPC_URL } from "./options";
import { buildProgram } from "./program";

const program = buildProgram();
program.parseAsync(process.argv).catch((error: unknown) => {
  const { rpcUrl = DEFAULT_RPC_URL, verbose = false } = program.opts<{ rpcUrl?: string; verbose?: boolean }>();
  const exitCode = reportError(error, { rpcUrl, verbose });
  // A failed command is over: exit once stdout is flushed, without waiting for what the failure
  // left running (after a node died under a write, viem's receipt poller would hold the process
  // for up to 180 s).
  process.stdout.write("", () => process.exit(exitCode));
});
