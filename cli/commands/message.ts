import { wholeNumberIn } from "../numbers";
import { type Command, InvalidArgumentError as CommanderArgumentError, Option } from "commander";
import type { Address } from "viem";
import {
  streamContentRules,
  createMessageValidator,
  createPublisher,
  type GapEvent,
  InvalidArgumentError,
  type KeywayClient,
  type MessageDomain,
  MessageRejectedError,
  MissingSignerError,
  normalizeStreamId,
  privateKeySigner,
  StreamPermission,
  UnauthorizedError,
} from "../../sdk";
import { privateKey, withClient } from "../client";
import { CliError } from "../errors";
import { ExitCode } from "../exitCodes";
import { formatHolder } from "../format";
import { inputLines, type Line, lineText } from "../lines";
import { globalOptions } from "../options";
import { print, printJsonLine } from "../output";

const CONTENT_TYPE = "application/json";
const MIB = 1024 * 1024;
/** Longest stdin line `message sign` takes by default: the content it signs. */
export const DEFAULT_SIGN_MAX_LINE_BYTES = MIB;
/** `message verify`'s default: a signed message carries its content as hex, twice as long, plus its fields. */
export const DEFAULT_VERIFY_MAX_LINE_BYTES = 4 * MIB;

/** `--max-line-bytes <n>`: a positive whole number of bytes. */
function maxLineBytesOption(defaultBytes: number): Option {
  return new Option("--max-line-bytes <n>", "longest stdin line taken, in bytes; a longer one is an error (exit 2)")
    .default(defaultBytes)
    .argParser((value) => {
      const bytes = wholeNumberIn(value, 1, Number.MAX_SAFE_INTEGER);
      if (bytes === undefined) throw new CommanderArgumentError("expected a positive whole number of bytes");
      return bytes;
    });
}

/** The verdict on one input line of `message verify`. */
interface Verdict {
  line: number;
  valid: boolean;
  /** The validator's rejection reason (no-permission, invalid-signature, wrong-stream, duplicate...) or `malformed`. */
  reason?: string;
  error?: string;
  publisher?: string;
  timestamp?: number;
  sequenceNumber?: number;
  /** Set when messages of the publisher's chain are missing before this one. */
  gap?: Pick<GapEvent, "from" | "to">;
}

/** Messages are signed for the node's chain and the configured registry. */
async function messageDomain(client: KeywayClient): Promise<MessageDomain> {
  return { chainId: await client.getChainId(), verifyingContract: client.registryAddress as Address };
}

function parseJsonLine(text: string, line: number): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new InvalidArgumentError(`line ${line} is not valid JSON`);
  }
}

/** Throws unless the line is UTF-8 JSON; what is signed is the line's bytes as they are, never a reserialisation. */
function checkJsonLine(line: Line): void {
  parseJsonLine(lineText(line), line.number);
}

function formatVerdict(verdict: Verdict): string {
  if (!verdict.valid) return `invalid  line ${verdict.line}  ${verdict.reason}: ${verdict.error}`;
  const position = `${new Date(verdict.timestamp!).toISOString()} #${verdict.sequenceNumber}`;
  const gap = verdict.gap ? `  (gap: messages after ${verdict.gap.from.timestamp}/${verdict.gap.from.sequenceNumber} missing)` : "";
  return `valid    line ${verdict.line}  ${formatHolder({ userId: verdict.publisher! })}  ${position}${gap}`;
}

/** Judges lines one after the other, as a subscriber of `streamId` would (chains, duplicates, gaps). */
function lineVerifier(client: KeywayClient, domain: MessageDomain, streamId: string): (line: Line) => Promise<Verdict> {
  // The validator reports a gap through its callback, during the validation of the message after it.
  const gaps: GapEvent[] = [];
  const validator = createMessageValidator({ domain, permissions: client, contentRules: streamContentRules(client.context), onGap: (event) => gaps.push(event) });
  return async (input) => {
    const line = input.number;
    gaps.length = 0;
    try {
      // `message sign` publishes on partition 0, so that is the one verified; the validator rejects another stream as wrong-stream.
      const { publisher, timestamp, sequenceNumber } = await validator.validate(parseJsonLine(lineText(input), line), { streamId, partition: 0 });
      const [gap] = gaps;
      return { line, valid: true, publisher, timestamp, sequenceNumber, ...(gap && { gap: { from: gap.from, to: gap.to } }) };
    } catch (error) {
      if (error instanceof MessageRejectedError) {
        // The reason is a field of its own; the message repeats it in a prefix.
        return { line, valid: false, reason: error.reason, error: error.message.replace(/^Stream message rejected \([^)]*\): /, "") };
      }
      if (error instanceof InvalidArgumentError) return { line, valid: false, reason: "malformed", error: error.message };
      throw error; // the node, not the message: not a verdict
    }
  };
}

export function registerMessageCommands(program: Command): void {
  const message = program.command("message").description("sign and verify stream messages (JSON lines on stdin/stdout)");

  message
    .command("sign <id>")
    .description(
      "sign each JSON value read from stdin (one per line, its exact bytes) as the next message of one chain; writes signed messages as JSON lines",
    )
    .addOption(maxLineBytesOption(DEFAULT_SIGN_MAX_LINE_BYTES))
    .action((id: string, flags: { maxLineBytes: number }, command: Command) => {
      const streamId = normalizeStreamId(id);
      const key = privateKey(globalOptions(command));
      if (key === undefined) throw new MissingSignerError("message sign");
      const signer = privateKeySigner(key);
      return withClient(globalOptions(command), async (client) => {
        const publisherId = await signer.getAddress();
        // Fail before reading stdin when subscribers would reject every message anyway.
        const [, mayPublish, domain] = await Promise.all([
          client.getStream(streamId),
          client.hasPermission({ streamId, userId: publisherId, permission: StreamPermission.PUBLISH, allowPublic: true }),
          messageDomain(client),
        ]);
        if (!mayPublish) throw new UnauthorizedError(streamId, publisherId, StreamPermission.PUBLISH);
        const publisher = createPublisher({ streamId, signer, domain, contentType: CONTENT_TYPE });
        for await (const line of inputLines(flags.maxLineBytes)) {
          checkJsonLine(line);
          printJsonLine(await publisher.publish(line.bytes));
        }
      });
    });

  message
    .command("verify <id>")
    .description("check each signed message read from stdin (one JSON per line); prints a verdict per line, exits 9 if any is invalid")
    .addOption(maxLineBytesOption(DEFAULT_VERIFY_MAX_LINE_BYTES))
    .action((id: string, flags: { maxLineBytes: number }, command: Command) => {
      const streamId = normalizeStreamId(id);
      return withClient(
        globalOptions(command),
        async (client, options) => {
          const verify = lineVerifier(client, await messageDomain(client), streamId);
          let invalid = 0;
          for await (const line of inputLines(flags.maxLineBytes)) {
            const verdict = await verify(line);
            if (!verdict.valid) invalid += 1;
            print(options, verdict, () => formatVerdict(verdict));
          }
          if (invalid > 0) throw new CliError(`${invalid} message(s) failed verification`, ExitCode.INVALID_MESSAGES);
        },
        { cache: true },
      );
    });
}
