import { custom, http, type Transport } from "viem";
import type { ConnectionOptions } from "./context";
import { InvalidArgumentError } from "./errors";
import { type EthersProvider, ethersTransport } from "./ethers";
import { withRevertCode } from "./revertData";

/** The transport requests go through: the first of `rpcUrl`, the given clients, an ethers provider, the chain's RPC URL. */
export function nodeTransport(options: ConnectionOptions): Transport {
  const ethersProvider = options.ethersProvider ?? (options.ethersSigner?.provider as EthersProvider | null | undefined);
  if (options.rpcUrl !== undefined) return httpTransport(options.rpcUrl);
  if (options.publicClient !== undefined) return custom(options.publicClient);
  if (ethersProvider) return ethersTransport(ethersProvider);
  if (options.walletClient !== undefined) return custom(options.walletClient);
  const chainUrl = options.chain?.rpcUrls.default.http[0];
  if (chainUrl !== undefined) return httpTransport(chainUrl);
  throw new InvalidArgumentError("No node to talk to: pass rpcUrl, publicClient, walletClient, ethersProvider or a chain with an RPC URL");
}

/** viem's HTTP transport, batching the requests made together into one HTTP request. */
function httpTransport(url: string): Transport {
  return http(url, { batch: true, fetchFn: revertAwareFetch });
}

/** `fetch` for viem's `http` transport that applies `withRevertCode` to every JSON-RPC error in a response. */
export const revertAwareFetch: typeof fetch = async (input, init) => {
  const response = await fetch(input, init);
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const fix = (message: unknown) => {
    const { error } = (message ?? {}) as { error?: { code?: unknown } };
    return error === undefined ? message : { ...(message as object), error: withRevertCode(error) };
  };
  const fixed = body === undefined ? text : JSON.stringify(Array.isArray(body) ? body.map(fix) : fix(body));
  return new Response(fixed, { status: response.status, statusText: response.statusText, headers: response.headers });
};
