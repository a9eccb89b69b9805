const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const SPACE = /^[ \t\r\f\v]*$/;

/**
 * The non-blank lines of stdin as their exact bytes (without the `\n` or `\r\n` ending), with
 * 1-based line numbers, as they arrive. Bytes, not text: a line that is not UTF-8 stays intact.
 */
export async function* stdinByteLines(): AsyncGenerator<{ number: number; bytes: Uint8Array }> {
  let number = 0;
  let rest: Buffer = Buffer.alloc(0);
  const line = (bytes: Buffer) => {
    number += 1;
    const end = bytes.length > 0 && bytes[bytes.length - 1] === CARRIAGE_RETURN ? bytes.length - 1 : bytes.length;
    const content = bytes.subarray(0, end);
    return SPACE.test(content.toString("latin1")) ? undefined : { number, bytes: new Uint8Array(content) };
  };
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    let data = rest.length > 0 ? Buffer.concat([rest, chunk]) : chunk;
    for (let newline = data.indexOf(NEWLINE); newline !== -1; newline = data.indexOf(NEWLINE)) {
      const found = line(data.subarray(0, newline));
      data = data.subarray(newline + 1);
      if (found !== undefined) yield found;
    }
    rest = Buffer.from(data);
  }
  const last = rest.length > 0 ? line(rest) : undefined;
  if (last !== undefined) yield last;
}

/** The non-blank lines of stdin as UTF-8 text, with their 1-based line numbers, as they arrive. */
export async function* stdinLines(): AsyncGenerator<{ number: number; text: string }> {
  const decoder = new TextDecoder();
  for await (const { number, bytes } of stdinByteLines()) yield { number, text: decoder.decode(bytes) };
}
