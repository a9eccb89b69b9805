import { Command } from "commander";
import { version } from "../package.json";
import { registerDeployCommand } from "./commands/deploy";
import { registerGrantCommands } from "./commands/grant";
import { registerHistoryCommand } from "./commands/history";
import { registerMessageCommands } from "./commands/message";
import { registerPermissionCommands } from "./commands/permission";
import { registerPresenceCommand } from "./commands/presence";
import { registerPublishCommand } from "./commands/publish";
import { registerRelayCommand } from "./commands/relay";
import { registerStreamCommands } from "./commands/stream";
import { registerSubscribeCommand } from "./commands/subscribe";
import { registerTxCommands } from "./commands/tx";
import { addGlobalOptions } from "./options";

/** The `keyway` program: global options, then the stream, permission, message, grant, publish, subscribe, tx, deploy and relay commands. */
export function buildProgram(): Command {
  const program = new Command("keyway")
    .description("Manage Keyway streams and permissions; sign, verify, publish and subscribe to stream messages; run a relay.")
    .version(version)
    // Commander's errors as one line too ("unknown command 'x' (Did you mean y?)").
    .configureOutput({ outputError: (text, write) => write(`keyway: ${text.replace(/^error: /, "").trimEnd().replace(/\n+/g, " ")}\n`) })
    // Usage errors are thrown (exit code 2) instead of exiting inside commander.
    .exitOverride();
  addGlobalOptions(program);
  // `command()` copies the settings above into each subcommand, so these come after them.
  registerStreamCommands(program);
  registerPermissionCommands(program);
  registerMessageCommands(program);
  registerGrantCommands(program);
  registerPublishCommand(program);
  registerSubscribeCommand(program);
  registerTxCommands(program);
  registerDeployCommand(program);
  registerHistoryCommand(program);
  registerPresenceCommand(program);
  registerRelayCommand(program);
  return program;
}
