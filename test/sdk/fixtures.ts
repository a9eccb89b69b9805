import hre from "hardhat";
import { createPublicClient, createWalletClient, custom, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { deployStreamRegistry, KeywayClient, type Deployment, type KeywayClientOptions } from "../../sdk";

/** The first accounts of the Hardhat test mnemonic (funded on the in-process network and `hardhat node`). */
export const KEYS: Hex[] = [
  "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
  "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
  "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
  "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
];

// Hardhat's in-process provider throws reverts without a JSON-RPC code, which viem retries as
// unknown errors: no retries, so rejections are immediate.
export const transport = () => custom(hre.network.provider, { retryCount: 0 });

export function walletClientOf(key: Hex) {
  return createWalletClient({ account: privateKeyToAccount(key), chain: hardhat, transport: transport() });
}

export const publicClient = () => createPublicClient({ chain: hardhat, transport: transport() });

/**
 * A public client on the in-process network that records the method of every request it sends;
 * a request for which `refuse(method)` is true fails instead (a node that is down), unsent.
 */
export function recordingPublicClient(methods: string[], refuse: (method: string) => boolean = () => false, before?: (method: string) => Promise<void> | void) {
  const provider = hre.network.provider;
  return createPublicClient({
    chain: hardhat,
    transport: custom(
      {
        request(args: { method: string; params?: unknown[] }) {
          methods.push(args.method);
          if (refuse(args.method)) return Promise.reject(new Error(`${args.method} refused: the node is down`));
          return Promise.resolve(before?.(args.method)).then(() => provider.request(args));
        },
      },
      { retryCount: 0 },
    ),
  });
}

/** A fresh registry on the in-process Hardhat network. */
export async function deployFresh(): Promise<Deployment> {
  return deployStreamRegistry(walletClientOf(KEYS[0]), { network: "hardhat" });
}

const clients: KeywayClient[] = [];

/** A client on the in-process network signing with `KEYS[signer]`; destroyed by `destroyClients()`. */
export function clientOf(deployment: Deployment, signer: number | undefined, options: Partial<KeywayClientOptions> = {}): KeywayClient {
  const client = new KeywayClient({
    deployment,
    publicClient: publicClient(),
    ...(signer !== undefined && { walletClient: walletClientOf(KEYS[signer]) }),
    pollingInterval: 50,
    ...options,
  });
  clients.push(client);
  return client;
}

export function destroyClients(): void {
  clients.splice(0).forEach((client) => client.destroy());
}

/** Moves the in-process chain's clock forward and mines a block. */
export async function timeTravel(seconds: number): Promise<void> {
  await hre.network.provider.send("evm_increaseTime", [seconds]);
  await hre.network.provider.send("evm_mine", []);
}

/** The latest block's timestamp, in unix seconds. */
export async function chainNow(): Promise<number> {
  const block = await publicClient().getBlock();
  return Number(block.timestamp);
}
