import { InvalidArgumentError } from "../sdk";

/** Checks that `--metadata` is JSON and returns it compacted, as the registry stores it. */
export function parseMetadata(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text));
  } catch {
    throw new InvalidArgumentError(`--metadata is not valid JSON: ${text}`);
  }
}
