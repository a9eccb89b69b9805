import { InvalidArgumentError } from "../sdk";

/** One non-blank input line: its 1-based number and its bytes, without the line ending. */
export interface Line {
  number: number;
  bytes: Buffer;
}

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
// JSON's whitespace: a line of nothing else is blank.
const BLANK = new Set([0x20, 0x09, 0x0a, 0x0d]);
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * The non-blank lines of `input` (stdin by default) as raw bytes, nothing decoded or changed,
 * with their 1-based numbers, as they arrive. A line ends at "\n"; a "\r" right before it is
 * part of the ending. A line of more than `maxLineBytes` bytes (its ending not counted) is an
 * `InvalidArgumentError` as soon as that many bytes have arrived: no more of it is held, so
 * memory stays bounded by `maxLineBytes` and one chunk of input whatever the input is.
 */
export async function* inputLines(maxLineBytes: number, input: AsyncIterable<Buffer> = process.stdin): AsyncGenerator<Line> {
  let number = 1;
  let parts: Buffer[] = [];
  let length = 0;
  const take = (piece: Buffer) => {
    length += piece.length;
    // A "\r" may still turn out to be the line's ending: allow for it until the "\n" comes.
    const counted = piece.at(-1) === CARRIAGE_RETURN ? length - 1 : length;
    if (counted > maxLineBytes) throw new InvalidArgumentError(`line ${number} is longer than ${maxLineBytes} bytes (--max-line-bytes)`);
    parts.push(piece);
  };
  const finish = (): Line | undefined => {
    let bytes = Buffer.concat(parts, length);
    if (bytes.at(-1) === CARRIAGE_RETURN) bytes = bytes.subarray(0, -1);
    parts = [];
    length = 0;
    const line = { number: number++, bytes };
    return bytes.every((byte) => BLANK.has(byte)) ? undefined : line;
  };
  for await (const chunk of input) {
    let start = 0;
    for (let end = chunk.indexOf(NEWLINE); end !== -1; start = end + 1, end = chunk.indexOf(NEWLINE, start)) {
      take(chunk.subarray(start, end));
      const line = finish();
      if (line !== undefined) yield line;
    }
    if (start < chunk.length) take(chunk.subarray(start));
  }
  if (length > 0) {
    const line = finish();
    if (line !== undefined) yield line;
  }
}

/** A line's text; `InvalidArgumentError` if its bytes are not valid UTF-8 (never a U+FFFD in their place). */
export function lineText(line: Line): string {
  try {
    return utf8.decode(line.bytes);
  } catch {
    throw new InvalidArgumentError(`line ${line.number} is not valid UTF-8`);
  }
}
