import { type Chain, custom, http, type PublicClient, type Transport, type WalletClient } from "viem";
import { InvalidArgumentError } from "./errors";
import { type EthersProvider, type EthersSigner, ethersTransport } from "./ethers";
import { withRevertCode } from "./revertData";

/** Where the node is: the fields of `ConnectionOptions` a transport is made from. */
export interface NodeOptions {
  /** JSON-RPC URL of the node; requests are batched over HTTP. */
  rpcUrl?: string;
  /** The chain the registry lives on; the node is checked against its id. */
  chain?: Chain;
  publicClient?: PublicClient;
  /** A viem wallet client with an account: the signer. */
  walletClient?: WalletClient;
  /** An ethers v6 signer (Wallet, JsonRpcSigner...); its provider is used when no other node is given. */
  ethersSigner?: EthersSigner;
  /** An ethers v6 JSON-RPC provider, for read-only use or alongside `ethersSigner`. */
  ethersProvider?: EthersProvider;
}

/** The transport requests go through: the first of `rpcUrl`, the given clients, an ethers provider, the chain's RPC URL. */
export function nodeTransport(options: NodeOptions): Transport {
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
