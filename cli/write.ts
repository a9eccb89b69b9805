import type { TransactionReceipt } from "viem";
import { formatFields } from "./format";
import type { GlobalOptions } from "./options";
import { print } from "./output";

/** Prints what a write did, with its transaction hash and block (fields merged into the JSON). */
export function printWrite(
  options: Pick<GlobalOptions, "json">,
  summary: string,
  receipt: Pick<TransactionReceipt, "transactionHash" | "blockNumber">,
  json: Record<string, unknown> = {},
): void {
  const { transactionHash, blockNumber } = receipt;
  print(options, { ...json, transactionHash, blockNumber: Number(blockNumber) }, () =>
    [summary, formatFields([["transaction", transactionHash], ["block", String(blockNumber)]]).replace(/^/gm, "  ")].join("\n"),
  );
}
