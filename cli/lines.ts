import { createInterface } from "node:readline";

/** The non-blank lines of stdin, with their 1-based line numbers, as they arrive. */
export async function* stdinLines(): AsyncGenerator<{ number: number; text: string }> {
  let number = 0;
  for await (const text of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
    number += 1;
    if (text.trim() !== "") yield { number, text };
  }
}
