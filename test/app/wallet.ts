import type { BrowserContext } from "playwright-core";
import { createWalletClient, type Hex, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";

/** What the page-side provider receives back: a result, or an EIP-1193 error to throw. */
type Answer = { result: unknown } | { error: { code: number; message: string; data?: unknown } };

export interface TestWalletOptions {
  /** The key the wallet signs with. */
  privateKey: Hex;
  /** The chain's JSON-RPC URL: everything the wallet does not answer itself goes there. */
  rpcUrl: string;
  /** A chain id to report instead of the node's, until the page asks the wallet to switch. */
  reportChainId?: number;
  name?: string;
  /** Called with the method of every signature the page asks the wallet for (each is a prompt in a real wallet). */
  onSignatureRequest?(method: string): void;
}

/** The requests a real wallet shows a signing prompt for. */
const SIGNATURE_METHODS = ["personal_sign", "eth_sign", "eth_signTypedData_v4", "eth_sendTransaction"];

/**
 * Installs a real EIP-1193 wallet in every page of `context`, announced through EIP-6963 as
 * wallets do. Signing happens in Node with a development key (transactions are signed
 * locally and sent raw, as a wallet does, never with the node's unlocked accounts); reads go
 * to the chain's node verbatim, errors included (a revert keeps its data).
 */
export async function installTestWallet(context: BrowserContext, options: TestWalletOptions): Promise<void> {
  const account = privateKeyToAccount(options.privateKey);
  const walletClient = createWalletClient({ account, transport: http(options.rpcUrl) });
  let reportChainId = options.reportChainId;

  async function answer(method: string, params: unknown[]): Promise<unknown> {
    if (SIGNATURE_METHODS.includes(method)) options.onSignatureRequest?.(method);
    switch (method) {
      case "eth_requestAccounts":
      case "eth_accounts":
        return [account.address];
      case "eth_chainId":
        return reportChainId === undefined ? forward(options.rpcUrl, method, params) : `0x${reportChainId.toString(16)}`;
      case "wallet_switchEthereumChain":
        reportChainId = undefined;
        return null;
      case "eth_sendTransaction": {
        const [tx] = params as [{ to?: Hex; data?: Hex; value?: Hex; gas?: Hex }];
        return walletClient.sendTransaction({
          chain: null,
          to: tx.to,
          data: tx.data,
          value: tx.value === undefined ? undefined : BigInt(tx.value),
          gas: tx.gas === undefined ? undefined : BigInt(tx.gas),
        });
      }
      case "personal_sign":
        return account.signMessage({ message: { raw: (params as [Hex])[0] } });
      case "eth_signTypedData_v4":
        return account.signTypedData(JSON.parse((params as [string, string])[1]));
      default:
        return forward(options.rpcUrl, method, params);
    }
  }

  await context.exposeFunction("__keywayTestWallet", async ({ method, params }: { method: string; params?: unknown[] }): Promise<Answer> => {
    try {
      return { result: await answer(method, params ?? []) };
    } catch (error) {
      const { code, message, data } = error as { code?: unknown; message?: string; data?: unknown };
      return { error: { code: typeof code === "number" ? code : -32603, message: message ?? String(error), data } };
    }
  });
  await context.addInitScript(pageWallet, { name: options.name ?? "Keyway Test Wallet", uuid: crypto.randomUUID() });
}

/** Runs in the page: the provider object and its EIP-6963 announcement. */
function pageWallet({ name, uuid }: { name: string; uuid: string }) {
  type Listener = (value: unknown) => void;
  const bridge = (window as unknown as { __keywayTestWallet(args: unknown): Promise<Answer> }).__keywayTestWallet;
  const listeners = new Map<string, Set<Listener>>();
  const emit = (event: string, value: unknown) => listeners.get(event)?.forEach((listener) => listener(value));
  const provider = {
    async request({ method, params }: { method: string; params?: unknown[] }) {
      const reply = await bridge({ method, params });
      if ("error" in reply) throw Object.assign(new Error(reply.error.message), reply.error);
      if (method === "wallet_switchEthereumChain") emit("chainChanged", (params as [{ chainId: string }])[0].chainId);
      return reply.result;
    },
    on(event: string, listener: Listener) {
      if (!listeners.has(event)) listeners.set(event, new Set());
      listeners.get(event)!.add(listener);
    },
    removeListener(event: string, listener: Listener) {
      listeners.get(event)?.delete(listener);
    },
  };
  const info = { uuid, name, rdns: "org.keyway.test-wallet", icon: "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E" };
  const announce = () => window.dispatchEvent(new CustomEvent("eip6963:announceProvider", { detail: Object.freeze({ info, provider }) }));
  window.addEventListener("eip6963:requestProvider", announce);
  announce();
}

/** One JSON-RPC request to the node; its error is thrown as it came, with code and data. */
async function forward(rpcUrl: string, method: string, params: unknown[]): Promise<unknown> {
  const response = await fetch(rpcUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const body = (await response.json()) as { result?: unknown; error?: { code: number; message: string; data?: unknown } };
  if (body.error !== undefined) throw body.error;
  return body.result;
}
