import type { Command } from "commander";
import { normalizeStreamId, type SignedAccessGrant } from "../../sdk";
import { withClient } from "../client";
import { globalOptions, grantOption, partitionOption, relayUrlOption } from "../options";
import { print } from "../output";

export function registerPresenceCommand(program: Command): void {
  program
    .command("presence <id>")
    .description("show who is subscribed to the stream partition now, across the relay's cluster (needs Subscribe)")
    .addOption(partitionOption())
    .addOption(grantOption("ask"))
    .addOption(relayUrlOption())
    .action((id: string, flags: { partition: number; grant?: SignedAccessGrant; relayUrl: string }, command: Command) => {
      const streamId = normalizeStreamId(id);
      return withClient(
        globalOptions(command),
        async (client, options) => {
          const answer = await client.presence(streamId, { partition: flags.partition, ...(flags.grant && { grant: flags.grant }) });
          const anonymous = answer.count - answer.clients.reduce((sum, { connections }) => sum + connections, 0);
          print(options, answer, () =>
            [`${answer.count} subscribed (${anonymous} anonymous)`, ...answer.clients.map(({ address, connections }) => `${address}  ${connections} connection${connections === 1 ? "" : "s"}`)].join("\n"),
          );
        },
        { relayUrl: flags.relayUrl },
      );
    });
}
