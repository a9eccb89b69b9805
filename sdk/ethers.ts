import { type Account, custom, type CustomTransport, getAddress, type Hex, hexToBytes, RpcRequestError, type TransactionSerializable } from "viem";
import { toAccount } from "viem/accounts";
import type { Provider, Signer, TransactionRequest } from "ethers";
import { InvalidArgumentError } from "./errors";
import { withRevertCode } from "./revertData";

/**
 * ethers v6 support is an adapter, not a second implementation: an EIP-1193 transport over
 * the ethers provider and a viem account that asks the ethers signer to sign. Only ethers'
 * types are imported, so ethers is never bundled for users who do not pass it.
 */

/** An ethers provider that forwards raw JSON-RPC: `JsonRpcProvider`, `BrowserProvider`, `WebSocketProvider`. */
export type EthersProvider = Provider & { send(method: string, params: unknown[] | Record<string, unknown>): Promise<unknown> };

/** An ethers signer that knows its address without a round trip: `Wallet`, `HDNodeWallet`, `JsonRpcSigner`. */
export type EthersSigner = Signer & { readonly address: string };

/** A viem transport that sends every request through `provider.send`. */
export function ethersTransport(provider: EthersProvider): CustomTransport {
  if (typeof provider?.send !== "function") {
    throw new InvalidArgumentError("ethersProvider must be a JSON-RPC provider (JsonRpcProvider, BrowserProvider...)");
  }
  return custom({
    async request({ method, params }: { method: string; params?: unknown }) {
      try {
        return await provider.send(method, (params ?? []) as unknown[]);
      } catch (error) {
        throw rpcErrorOf(error, { method, params });
      }
    },
  });
}

/**
 * The viem account of an ethers signer. A signer whose node holds the key (`JsonRpcSigner`, a
 * browser wallet) becomes a JSON-RPC account, so the wallet itself signs and sends; any other
 * signer signs locally through `signTransaction`.
 */
export function ethersAccount(signer: EthersSigner): Account {
  if (typeof signer?.address !== "string") throw new InvalidArgumentError("ethersSigner must have an address (Wallet, JsonRpcSigner...)");
  const address = getAddress(signer.address);
  // Duck-typed rather than `instanceof JsonRpcSigner`, which would pull ethers into every bundle.
  if ("sendUncheckedTransaction" in signer) return { address, type: "json-rpc" };
  return toAccount({
    address,
    signMessage: ({ message }) =>
      signer.signMessage(typeof message === "string" ? message : typeof message.raw === "string" ? hexToBytes(message.raw) : message.raw) as Promise<Hex>,
    signTypedData: ({ domain, types, message }) => {
      // ethers derives the domain type itself and rejects it among the types.
      const { EIP712Domain: _domain, ...rest } = types as Record<string, { name: string; type: string }[]>;
      return signer.signTypedData(domain as object, rest, message as Record<string, unknown>) as Promise<Hex>;
    },
    signTransaction: (transaction) => signer.signTransaction(toEthersTransaction(transaction)) as Promise<Hex>,
  });
}

const TRANSACTION_TYPES = { legacy: 0, eip2930: 1, eip1559: 2 } as const;

function toEthersTransaction(transaction: TransactionSerializable): TransactionRequest {
  const type = TRANSACTION_TYPES[transaction.type as keyof typeof TRANSACTION_TYPES];
  if (type === undefined) throw new InvalidArgumentError(`ethers signers are used for legacy, EIP-2930 and EIP-1559 transactions, not ${transaction.type}`);
  return {
    type,
    chainId: transaction.chainId,
    nonce: transaction.nonce,
    to: transaction.to ?? null,
    data: transaction.data,
    value: transaction.value,
    gasLimit: transaction.gas,
    gasPrice: transaction.gasPrice,
    maxFeePerGas: transaction.maxFeePerGas,
    maxPriorityFeePerGas: transaction.maxPriorityFeePerGas,
    accessList: transaction.accessList as TransactionRequest["accessList"],
  };
}

/**
 * The node's own JSON-RPC error inside an ethers error, as viem's `RpcRequestError`: viem then
 * decodes its revert data, and does not retry it as an unknown error.
 */
function rpcErrorOf(error: unknown, body: { method: string; params?: unknown }): unknown {
  type JsonRpcError = { code?: number; message?: string; data?: unknown };
  // ethers keeps it in `info.error` for the errors it recognises, in `error` for the others.
  const wrapped = error as { info?: { error?: JsonRpcError }; error?: JsonRpcError } | null;
  const inner = wrapped?.info?.error ?? wrapped?.error;
  if (inner === undefined || typeof inner.code !== "number") return error;
  const rpcError = withRevertCode({ code: inner.code, message: inner.message ?? "RPC error", data: inner.data });
  return new RpcRequestError({ body, error: rpcError, url: "ethers provider" });
}
