import { type Command, Option } from "commander";
import {
  createStreamCall,
  deleteStreamCall,
  InvalidArgumentError,
  MAX_PARTITIONS,
  metadataWithPartitions,
  metadataWithSchema,
  normalizeStreamId,
  partitionsOf,
  updateStreamMetadataCall,
  validateStreamPath,
} from "../../sdk";
import { withClient, withWriteClient } from "../client";
import { formatAssignments, formatFields } from "../format";
import { parseMetadata } from "../json";
import { globalOptions, readOptionFile } from "../options";
import { wholeNumberIn } from "../numbers";
import { print } from "../output";
import { addSignOnlyOptions, printSignedChange, type SignOnlyFlags } from "../signOnly";
import { printWrite } from "../write";

function parsePartitions(text: string): number {
  const partitions = wholeNumberIn(text, 1, MAX_PARTITIONS);
  if (partitions === undefined) throw new InvalidArgumentError(`--partitions must be an integer from 1 to ${MAX_PARTITIONS}, got ${text}`);
  return partitions;
}

/** `--schema <file>`: a JSON Schema 2020-12 in a file, parsed (its use is checked with the metadata it goes into). */
function readSchemaFile(file: string): unknown {
  const text = readOptionFile("--schema", file);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvalidArgumentError(`--schema: ${file} is not JSON (${(error as Error).message})`);
  }
}

function schemaOption(): Option {
  return new Option("--schema <file>", "a JSON Schema 2020-12 every message's content must match (kept in the metadata as \"schema\")").argParser(readSchemaFile);
}

// Each action checks its arguments before it opens a client, so bad input never costs an RPC call.
export function registerStreamCommands(program: Command): void {
  const stream = program.command("stream").description("create, show, update and delete streams");

  const create = stream
    .command("create <path>")
    .description("create the stream <your address><path>; you get every permission, forever")
    .option("--metadata <json>", "stream metadata, a JSON value", "{}")
    .addOption(new Option("--partitions <n>", `how many partitions the stream has, 1 to ${MAX_PARTITIONS} (kept in the metadata as "partitions"; default 1)`).argParser(parsePartitions))
    .addOption(schemaOption());
  addSignOnlyOptions(create).action(async (path: string, flags: { metadata: string; partitions?: number; schema?: unknown } & SignOnlyFlags, command: Command) => {
    validateStreamPath(path);
    const call = createStreamCall({ path, metadata: await metadataWithSchema(metadataWithPartitions(parseMetadata(flags.metadata), flags.partitions), flags.schema) });
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
    .description("replace a stream's metadata, or set its content schema in the metadata it has (needs edit)")
    .option("--metadata <json>", "the new metadata, a JSON value")
    .addOption(schemaOption());
  addSignOnlyOptions(update).action(async (id: string, flags: { metadata?: string; schema?: unknown } & SignOnlyFlags, command: Command) => {
    const streamId = normalizeStreamId(id);
    if (flags.metadata === undefined && flags.schema === undefined) throw new InvalidArgumentError("stream update needs --metadata <json>, --schema <file>, or both");
    const given = flags.metadata === undefined ? undefined : await metadataWithSchema(metadataWithPartitions(parseMetadata(flags.metadata)), flags.schema);
    if (flags.signOnly) {
      // What is signed is the whole new metadata: it cannot be read from the chain at signing time.
      if (given === undefined) throw new InvalidArgumentError("stream update --sign-only needs --metadata <json> (with --schema, the schema is merged into it)");
      return printSignedChange(globalOptions(command), flags, updateStreamMetadataCall({ streamId, metadata: given }));
    }
    return withWriteClient(globalOptions(command), async (client, options) => {
      // --schema alone keeps the rest of the metadata as it is now.
      const metadata = given ?? (await metadataWithSchema(await client.getStreamMetadata(streamId), flags.schema));
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
