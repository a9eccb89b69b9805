import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { InvalidArgumentError, parseSignedChange, type SignedChange, submitSignedChange } from "../../sdk";
import { withClient, withWriteClient } from "../client";
import { globalOptions, relayUrlOption } from "../options";
import { printWrite } from "../write";

/** The signed change in `file` (`-`: stdin); unreadable or malformed is InvalidArgumentError (usage, exit 2). */
function readSignedChange(file: string): SignedChange {
  let text: string;
  try {
    text = readFileSync(file === "-" ? 0 : file, "utf8");
  } catch (error) {
    throw new InvalidArgumentError(`cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  return parseSignedChange(text);
}

export function registerTxCommands(program: Command): void {
  const tx = program.command("tx").description("send changes signed elsewhere (--sign-only), yourself or through a relay that sponsors them");

  tx.command("submit <file>")
    .description("send the signed change in <file> (- for stdin) from your key, which pays the gas and needs no permission")
    .action((file: string, _flags: unknown, command: Command) => {
      const signedChange = readSignedChange(file);
      return withWriteClient(globalOptions(command), async (client, options) => {
        const receipt = await submitSignedChange(client.context, { signedChange });
        const { functionName, signer, nonce } = signedChange;
        printWrite(options, `Applied ${functionName} signed by ${signer} (nonce ${nonce})`, receipt, { functionName, signer, nonce: nonce.toString() });
      });
    });
  tx.command("sponsor <file>")
    .description("hand the signed change in <file> (- for stdin) to the relay, which sends it and pays the gas (a relay started with --sponsor-key, as npm start's); your key only signs in")
    .addOption(relayUrlOption())
    .action((file: string, flags: { relayUrl: string }, command: Command) => {
      const signedChange = readSignedChange(file);
      return withClient(
        globalOptions(command),
        async (client, options) => {
          const receipt = await client.sponsorChange(signedChange);
          const { functionName, signer, nonce } = signedChange;
          printWrite(options, `Applied ${functionName} signed by ${signer} (nonce ${nonce}), sent by the relay`, receipt, { functionName, signer, nonce: nonce.toString() });
        },
        { writes: true, relayUrl: flags.relayUrl },
      );
    });
}
