import type { Command } from "commander";
import {
  grantPermissionsCall,
  normalizeStreamId,
  parsePermission,
  type PermissionAssignment,
  type PermissionQuery,
  revokePermissionsCall,
  setPermissionsCall,
} from "../../sdk";
import { parseAssignment, parseHolder, toAssignment } from "../assignments";
import { withClient, withWriteClient } from "../client";
import { parseExpiry } from "../expiry";
import { formatExpiry, formatAssignments, formatHolder } from "../format";
import { globalOptions } from "../options";
import { print } from "../output";
import { addSignOnlyOptions, printSignedChange, type SignOnlyFlags } from "../signOnly";
import { printWrite } from "../write";

const HOLDER = "a user's address, or public";

/** "publish, subscribe for 0xAbC... until <time>", as the write summaries say it. */
function describeAssignment(assignment: PermissionAssignment): string {
  const holder = formatHolder(assignment);
  if (assignment.permissions.length === 0) return `${holder}: all permissions cleared`;
  const expiries = [...new Set(Object.values(assignment.expiresAt ?? {}).map((date) => date.getTime()))];
  const until = expiries.length === 0 ? "forever" : `until ${formatExpiry(new Date(expiries[0]))}`;
  return `${assignment.permissions.join(", ")} for ${holder} ${until}`;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

// Each action checks its arguments before it opens a client, so bad input never costs an RPC call.
export function registerPermissionCommands(program: Command): void {
  const permission = program.command("permission").description("list, check, grant, revoke and set permissions");

  permission
    .command("list <id>")
    .description("everyone who holds a permission on the stream now, with expiries")
    .action((id: string, _flags: unknown, command: Command) => {
      const streamId = normalizeStreamId(id);
      return withClient(globalOptions(command), async (client, options) => {
        const assignments = await client.getPermissions(streamId);
        print(options, assignments, () => formatAssignments(assignments));
      });
    });

  // Public permissions, one rule for the contract, the SDK and the CLI (docs/contract.md,
  // "Public permissions"): a check counts the public's permission for a user, as the registry's
  // hasPermission does, unless --no-public; the SDK counts it only with allowPublic.
  permission
    .command("check <id> <holder> <permission>")
    .description(`whether <holder> (${HOLDER}) has <permission> now`)
    .option("--no-public", "count only the user's own permission, not one the public holds")
    .action((id: string, holderText: string, permissionText: string, flags: { public: boolean }, command: Command) => {
      const streamId = normalizeStreamId(id);
      const holder = parseHolder(holderText);
      const name = parsePermission(permissionText);
      const query: PermissionQuery = { ...holder, streamId, permission: name, allowPublic: flags.public };
      return withClient(globalOptions(command), async (client, options) => {
        // getStream only to report an unknown stream (the registry answers "no" for those);
        // over the batching transport both questions share one request.
        const [, held] = await Promise.all([client.getStream(streamId), client.hasPermission(query)]);
        const json = { streamId, holder: "userId" in holder ? holder.userId : "public", permission: name, allowPublic: flags.public, hasPermission: held };
        print(options, json, () => `${held ? "yes" : "no"}: ${formatHolder(holder)} ${held ? "has" : "does not have"} ${name} on ${streamId}`);
      });
    });

  const grant = permission
    .command("grant <id> <holder> <permissions...>")
    .description(`grant permissions to <holder> (${HOLDER}) in one transaction (needs grant)`)
    .option("--expires <time>", "until when: a duration (30m, 12h, 7d, 2w) or an ISO date/time, UTC unless a zone is given (default: forever)");
  addSignOnlyOptions(grant).action((id: string, holderText: string, names: string[], flags: { expires?: string } & SignOnlyFlags, command: Command) => {
    const streamId = normalizeStreamId(id);
    const expiresAt = flags.expires === undefined ? undefined : parseExpiry(flags.expires);
    const assignment = toAssignment(parseHolder(holderText), names.map(parsePermission), expiresAt);
    if (flags.signOnly) return printSignedChange(globalOptions(command), flags, grantPermissionsCall({ streamId, assignments: [assignment] }));
    return withWriteClient(globalOptions(command), async (client, options) => {
      const receipt = await client.grantPermissions(streamId, assignment);
      printWrite(options, `Granted ${describeAssignment(assignment)} on ${streamId}`, receipt, { streamId, assignments: [assignment] });
    });
  });

  const revoke = permission
    .command("revoke <id> <holder> <permissions...>")
    .description(`revoke permissions of <holder> (${HOLDER}) in one transaction (needs grant, except for your own)`);
  addSignOnlyOptions(revoke).action((id: string, holderText: string, names: string[], flags: SignOnlyFlags, command: Command) => {
    const streamId = normalizeStreamId(id);
    const assignment = toAssignment(parseHolder(holderText), names.map(parsePermission));
    if (flags.signOnly) return printSignedChange(globalOptions(command), flags, revokePermissionsCall({ streamId, assignments: [assignment] }));
    return withWriteClient(globalOptions(command), async (client, options) => {
      const receipt = await client.revokePermissions(streamId, assignment);
      const summary = `Revoked ${assignment.permissions.join(", ")} of ${formatHolder(assignment)} on ${streamId}`;
      printWrite(options, summary, receipt, { streamId, assignments: [assignment] });
    });
  });

  const set = permission
    .command("set <id>")
    .description("overwrite the permissions of the listed holders in one transaction (needs grant)")
    .requiredOption("--assign <spec>", "<user|public>=<perm,perm>[@expiry]; repeat for more holders; 0xabc...= clears a holder", collect, []);
  addSignOnlyOptions(set).action((id: string, flags: { assign: string[] } & SignOnlyFlags, command: Command) => {
    const streamId = normalizeStreamId(id);
    const assignments = flags.assign.map(parseAssignment);
    if (flags.signOnly) return printSignedChange(globalOptions(command), flags, setPermissionsCall({ updates: [{ streamId, assignments }] }));
    return withWriteClient(globalOptions(command), async (client, options) => {
      const receipt = await client.setPermissions({ streamId, assignments });
      const summary = [`Set permissions on ${streamId}:`, ...assignments.map((a) => `  ${describeAssignment(a)}`)].join("\n");
      printWrite(options, summary, receipt, { streamId, assignments });
    });
  });
}
