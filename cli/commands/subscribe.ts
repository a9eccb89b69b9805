import type { Command } from "commander";
import { bytesToHex } from "viem";
import { InvalidArgumentError, type MessageMetadata, type MessageRef, normalizeStreamId, type SignedAccessGrant } from "../../sdk";
import { withClient } from "../client";
import { CliError } from "../errors";
import { ExitCode } from "../exitCodes";
import { globalOptions, grantOption, partitionOption, relayUrlOption } from "../options";
import { printJsonLine } from "../output";

/** `--from`: `<unix ms>[/<sequenceNumber>]` or an ISO 8601 date-time. */
export function parseFrom(text: string): MessageRef {
  const position = /^(\d+)(?:\/(\d+))?$/.exec(text);
  const timestamp = position ? Number(position[1]) : Date.parse(text);
  const sequenceNumber = position?.[2] === undefined ? 0 : Number(position[2]);
  if (!Number.isSafeInteger(timestamp) || timestamp < 0 || sequenceNumber > 2 ** 32 - 1) {
    throw new InvalidArgumentError(`--from must be <unix ms>[/<sequenceNumber>] or an ISO date-time, got ${text}`);
  }
  return { timestamp, sequenceNumber };
}

/** JSON content as its value, text as a string, other bytes as 0x hex. */
function printableContent(content: unknown, contentType: string): unknown {
  if (!(content instanceof Uint8Array)) return content;
  if (contentType.startsWith("text/")) {
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(content);
    } catch {
      // not UTF-8 after all: shown as bytes
    }
  }
  return bytesToHex(content);
}

export function messageLine(content: unknown, metadata: MessageMetadata) {
  const { streamId, partition, timestamp, sequenceNumber, publisherId, contentType, groupKeyId } = metadata;
  const line = { streamId, partition, timestamp, sequenceNumber, publisher: publisherId, content: printableContent(content, contentType) };
  // Decrypted here: the relay carried only the ciphertext.
  return groupKeyId === undefined ? line : { ...line, encrypted: true };
}

export function registerSubscribeCommand(program: Command): void {
  program
    .command("subscribe <id>")
    .description("print each verified message of the stream as one JSON line until the relay ends the subscription (exit 12) or Ctrl-C")
    .addOption(partitionOption())
    .option("--from <position>", "first replay what the relay holds after <unix ms>[/<sequenceNumber>] or an ISO date-time", parseFrom)
    .addOption(grantOption("subscribe"))
    .option("--join-leave", 'also print {"event":"join"|"leave","streamId","partition","address"} when a signed-in address starts or stops being subscribed', false)
    .addOption(relayUrlOption())
    .action((id: string, flags: { partition: number; from?: MessageRef; grant?: SignedAccessGrant; joinLeave: boolean; relayUrl: string }, command: Command) => {
      const streamId = normalizeStreamId(id);
      return withClient(
        globalOptions(command),
        async (client) => {
          const subscription = await client.subscribe(
            { streamId, partition: flags.partition, joinLeave: flags.joinLeave, ...(flags.from && { resend: { from: flags.from } }), ...(flags.grant && { grant: flags.grant }) },
            (content, metadata) => printJsonLine(messageLine(content, metadata)),
          );
          for (const event of ["join", "leave"] as const) subscription.on(event, (address) => printJsonLine({ event, streamId, partition: flags.partition, address }));
          // A message this subscriber refuses is skipped with a line on stderr; the stream goes on.
          subscription.on("error", (error) => process.stderr.write(`keyway: message skipped: ${error.message.split("\n")[0]}\n`));
          await new Promise<void>((resolve, reject) => {
            const stop = () => {
              process.off("SIGINT", stop).off("SIGTERM", stop);
              subscription.unsubscribe().then(resolve, reject);
            };
            process.on("SIGINT", stop).on("SIGTERM", stop);
            subscription.on("unsubscribed", (reason) => {
              process.off("SIGINT", stop).off("SIGTERM", stop);
              reject(new CliError(`the relay ended the subscription: ${reason}`, ExitCode.SUBSCRIPTION_ENDED));
            });
          });
        },
        { cache: true, relayUrl: flags.relayUrl },
      );
    });
}
