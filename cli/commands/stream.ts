import { type Command, Option } from "commander";
import {
  createStreamCall,
  deleteStreamCall,
  InvalidArgumentError,
  MAX_PARTITIONS,
  normalizeStreamId,
  partitionsOf,
  updateStreamMetadataCall,
} from "../../sdk";
import { withClient, withWriteClient } from "../client";
import { formatAssignments, formatFields } from "../format";
import { parseMetadata } from "../json";
import { globalOptions } from "../options";
import { wholeNumberIn } from "../numbers";
import { print } from "../output";
import { addSignOnlyOptions, printSignedChange, type SignOnlyFlags } from "../signOnly";
import { printWrite } from "../write";

function parsePartitions(text: string): number {
  const partitions = wholeNumberIn(text, 1, MAX_PARTITIONS);
  if (partitions === undefined) throw new InvalidArgumentError(`--partitions must be an integer from 1 to ${MAX_PARTITIONS}, got ${text}`);
  return partitions;
}

// Each action checks its arguments before it opens a client, so bad input never costs an RPC call.
export function registerStreamCommands(program: Command): void {
  const stream = program.command("stream").description("create, show, update and delete streams");

  const create = stream
    .command("create <path>")
    .description("create the stream <your address><path>; you get every permission, forever")
    .option("--metadata <json>", "stream metadata, a JSON value", "{}")
    .addOption(new Option("--partitions <n>", `how many partitions the stream has, 1 to ${MAX_PARTITIONS} (kept in the metadata as "partitions"; default 1)`).argParser(parsePartitions));
  addSignOnlyOptions(create).action((path: string, flags: { metadata: string; partitions?: number } & SignOnlyFlags, command: Command) => {
    const call = createStreamCall({ path, metadata: parseMetadata(flags.metadata), partitions: flags.partitions });
    if (flags.signOnly) return printSignedChange(globalOptions(command), flags, call);
    const [, metadata] = call.args;
    return withWriteClient(globalOptions(command), async (client, options) => {
      const created = await client.createStream(path, { metadata });
      printWrite(options, `Created stream ${created.id}`, created.receipt!, { streamId: created.id });
    });
  });

  stream
    .command("show <id>")
    .description("show a stream's metadata, its partitions and who holds which permissions")
    .action((id: string, _flags: unknown, command: Command) => {
      const streamId = normalizeStreamId(id);
      return withClient(globalOptions(command), async (client, options) => {
        const found = await client.getStream(streamId);
        const [metadata, permissions] = await Promise.all([found.getMetadata(), found.getPermissions()]);
        const partitions = partitionsOf(metadata);
        print(options, { streamId, metadata, partitions, permissions }, () =>
          [formatFields([["stream", streamId], ["metadata", metadata], ["partitions", String(partitions)]]), "", formatAssignments(permissions)].join("\n"),
        );
      });
    });

  const update = stream
    .command("update <id>")
    .description("replace a stream's metadata (needs edit)")
    .requiredOption("--metadata <json>", "the new metadata, a JSON value");
  addSignOnlyOptions(update).action((id: string, flags: { metadata: string } & SignOnlyFlags, command: Command) => {
    const call = updateStreamMetadataCall({ streamId: id, metadata: parseMetadata(flags.metadata) });
    if (flags.signOnly) return printSignedChange(globalOptions(command), flags, call);
    const [streamId, metadata] = call.args;
    return withWriteClient(globalOptions(command), async (client, options) => {
      const receipt = await client.updateStreamMetadata(streamId, metadata);
      printWrite(options, `Updated the metadata of ${streamId}`, receipt, { streamId, metadata });
    });
  });

  const remove = stream
    .command("delete <id>")
    .description("delete a stream and all of its permissions (needs delete)");
  addSignOnlyOptions(remove).action((id: string, flags: SignOnlyFlags, command: Command) => {
    const call = deleteStreamCall({ streamId: id });
    if (flags.signOnly) return printSignedChange(globalOptions(command), flags, call);
    const [streamId] = call.args;
    return withWriteClient(globalOptions(command), async (client, options) => {
      const receipt = await client.deleteStream(streamId);
      printWrite(options, `Deleted stream ${streamId}`, receipt, { streamId });
    });
  });
}
