import type { Command } from "commander";
import { normalizeStreamId, type SignedAccessGrant } from "../../sdk";
import { withClient } from "../client";
import { inputLines } from "../lines";
import { DEFAULT_SIGN_MAX_LINE_BYTES } from "./message";
import { globalOptions, grantOption, partitionOption, relayUrlOption } from "../options";
import { print } from "../output";

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** `application/json` for a JSON line, text for other UTF-8, bytes for the rest. */
export function contentTypeOf(line: Uint8Array): string {
  let text: string;
  try {
    text = utf8.decode(line);
  } catch {
    return "application/octet-stream";
  }
  try {
    JSON.parse(text);
    return "application/json";
  } catch {
    return "text/plain; charset=utf-8";
  }
}

export function registerPublishCommand(program: Command): void {
  program
    .command("publish <id>")
    .description("publish each line of stdin as one signed message through the relay (its exact bytes; JSON lines as application/json)")
    .addOption(partitionOption())
    .addOption(grantOption("publish"))
    .addOption(relayUrlOption())
    .action((id: string, flags: { partition: number; grant?: SignedAccessGrant; relayUrl: string }, command: Command) => {
      const streamId = normalizeStreamId(id);
      return withClient(
        globalOptions(command),
        async (client, options) => {
          // One at a time: a rejected line stops the command before the next is sent.
          for await (const { bytes } of inputLines(DEFAULT_SIGN_MAX_LINE_BYTES)) {
            const message = await client.publish(streamId, bytes, { partition: flags.partition, contentType: contentTypeOf(bytes), grant: flags.grant });
            print(options, message, () => `published  ${new Date(message.timestamp).toISOString()} #${message.sequenceNumber}  ${message.contentType}`);
          }
        },
        { writes: true, relayUrl: flags.relayUrl },
      );
    });
}
