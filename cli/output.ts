import type { GlobalOptions } from "./options";

// JSON output: bigints (block numbers, gas) as decimal strings, Dates as ISO strings.
function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}

/** Prints a result: `json` as one JSON line with --json, else the human text. */
export function print(options: Pick<GlobalOptions, "json">, json: unknown, human: () => string): void {
  process.stdout.write(`${options.json ? toJson(json) : human()}\n`);
}

/** Writes one JSON line: the format of `message sign` / `message verify`, whatever --json says. */
export function printJsonLine(value: unknown): void {
  process.stdout.write(`${toJson(value)}\n`);
}
