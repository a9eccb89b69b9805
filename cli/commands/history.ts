import { type Command, Option } from "commander";
import { InvalidArgumentError, type MessageRef, normalizeStreamId, type SignedAccessGrant } from "../../sdk";
import { withClient } from "../client";
import { wholeNumberIn } from "../numbers";
import { globalOptions, grantOption, partitionOption, relayUrlOption } from "../options";
import { printJsonLine } from "../output";
import { messageLine, parseFrom } from "./subscribe";

function parseLimit(text: string): number {
  const limit = wholeNumberIn(text, 1, 2 ** 32 - 1);
  if (limit === undefined) throw new InvalidArgumentError(`--limit must be a positive integer, got ${text}`);
  return limit;
}

export function registerHistoryCommand(program: Command): void {
  program
    .command("history <id>")
    .description("print the messages the relay keeps for the stream, each verified, as one JSON line each (needs Subscribe)")
    .addOption(new Option("--limit <n>", "at most this many (the relay allows up to its maxHistoryLimit, 100 by default)").default(10).argParser(parseLimit))
    .option("--from <position>", "only messages after <unix ms>[/<sequenceNumber>] or an ISO date-time", parseFrom)
    .option("--reverse", "newest first", false)
    .addOption(partitionOption())
    .addOption(grantOption("read"))
    .addOption(relayUrlOption())
    .action((id: string, flags: { limit: number; from?: MessageRef; reverse: boolean; partition: number; grant?: SignedAccessGrant; relayUrl: string }, command: Command) => {
      const streamId = normalizeStreamId(id);
      return withClient(
        globalOptions(command),
        async (client) => {
          const { limit, from, reverse, partition, grant } = flags;
          const messages = await client.history(streamId, { limit, partition, reverse, ...(from && { from }), ...(grant && { grant }) });
          for (const { content, metadata } of messages) printJsonLine(messageLine(content, metadata));
        },
        { relayUrl: flags.relayUrl },
      );
    });
}
