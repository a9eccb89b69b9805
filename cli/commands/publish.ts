import { type Command, Option } from "commander";
import { type EncryptionMode, normalizeStreamId, type SignedAccessGrant } from "../../sdk";
import { withClient } from "../client";
import { inputLines } from "../lines";
import { DEFAULT_SIGN_MAX_LINE_BYTES } from "./message";
import { globalOptions, grantOption, partitionOption, relayUrlOption } from "../options";
import { print } from "../output";

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * How long `publish` stays connected after its last encrypted message: readers ask the
 * publisher for the key when its first message reaches them (docs/encryption.md).
 */
export const KEY_ANSWER_GRACE_MS = 3_000;

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
    .addOption(
      new Option("--encryption <mode>", "auto: encrypt when the public may not subscribe; always; never (docs/encryption.md)").choices(["auto", "always", "never"]).default("auto"),
    )
    .action((id: string, flags: { partition: number; grant?: SignedAccessGrant; relayUrl: string; encryption: EncryptionMode }, command: Command) => {
      const streamId = normalizeStreamId(id);
      return withClient(
        globalOptions(command),
        async (client, options) => {
          let encrypted = false;
          // One at a time: a rejected line stops the command before the next is sent.
          for await (const { bytes } of inputLines(DEFAULT_SIGN_MAX_LINE_BYTES)) {
            const message = await client.publish(streamId, bytes, { partition: flags.partition, contentType: contentTypeOf(bytes), grant: flags.grant });
            encrypted ||= message.groupKeyId !== undefined;
            const shown = `${message.contentType}${message.groupKeyId === undefined ? "" : "  encrypted"}`;
            print(options, message, () => `published  ${new Date(message.timestamp).toISOString()} #${message.sequenceNumber}  ${shown}`);
          }
          if (encrypted) await new Promise((resolve) => setTimeout(resolve, KEY_ANSWER_GRACE_MS));
        },
        { writes: true, relayUrl: flags.relayUrl, encryption: flags.encryption },
      );
    });
}
