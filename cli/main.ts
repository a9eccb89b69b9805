import { reportError } from "./errors";
import { DEFAULT_RPC_URL } from "./options";
import { buildProgram } from "./program";

const program = buildProgram();
program.parseAsync(process.argv).catch((error: unknown) => {
  const { rpcUrl = DEFAULT_RPC_URL, verbose = false } = program.opts<{ rpcUrl?: string; verbose?: boolean }>();
  process.exitCode = reportError(error, { rpcUrl, verbose });
});
