import { Option, type Command } from "commander";
import { normalizeStreamId, parsePermission } from "../../sdk";
import { withClient } from "../client";
import { parseExpiry } from "../expiry";
import { globalOptions } from "../options";
import { printJsonLine } from "../output";

/**
 * `keyway grant issue <id> <address> <permission...> --expires 1h`: signs an AccessGrant with
 * the key (which needs Grant on the stream when the grant is used) and prints it as one JSON
 * line, to hand to the grantee. No transaction.
 */
export function registerGrantCommands(program: Command): void {
  const grant = program.command("grant").description("issue access grants: signed, off-chain permission to publish or subscribe (docs/delegation.md)");

  grant
    .command("issue <id> <address> <permissions...>")
    .description("sign an access grant of publish and/or subscribe to <address> and print it as JSON")
    .addOption(new Option("--expires <when>", "duration from now (30m, 12h, 7d) or a date").makeOptionMandatory())
    .action((id: string, grantee: string, permissionNames: string[], flags: { expires: string }, command: Command) => {
      const streamId = normalizeStreamId(id);
      const permissions = permissionNames.map(parsePermission);
      const expiresAt = parseExpiry(flags.expires);
      return withClient(
        globalOptions(command),
        async (client) => {
          printJsonLine(await client.issueAccessGrant({ streamId, grantee, permissions, expiresAt }));
        },
        { writes: true },
      );
    });
}
