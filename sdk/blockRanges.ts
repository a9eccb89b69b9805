import { InvalidArgumentError } from "./errors";

/** Splits blocks `from..to` (inclusive) into consecutive ranges of at most `size` blocks, for paged `eth_getLogs`. */
export function blockRanges(from: bigint, to: bigint, size: number): { fromBlock: bigint; toBlock: bigint }[] {
  if (!Number.isSafeInteger(size) || size < 1) throw new InvalidArgumentError(`logPageSize must be a positive integer, got ${size}`);
  const ranges: { fromBlock: bigint; toBlock: bigint }[] = [];
  for (let fromBlock = from; fromBlock <= to; fromBlock += BigInt(size)) {
    const last = fromBlock + BigInt(size) - 1n;
    ranges.push({ fromBlock, toBlock: last < to ? last : to });
  }
  return ranges;
}
