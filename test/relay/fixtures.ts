import type { LocalAccount } from "viem";
import { createSiweMessage } from "viem/siwe";
import WebSocket from "ws";
import { startLocalNode } from "../../scripts/localNode";
import { deployLocalRegistry, devAccounts, type DevAccount } from "../../scripts/devChain";
import { decodeBinaryFrame, encodeBinaryFrame, KeywayClient, Subprotocol } from "../../sdk";
import { createRelay, type Relay, type RelayOptions } from "../../relay";

/** A relay on a free 127.0.0.1 port, against a real Hardhat node (own process) with a fresh registry. */
export interface RelayOnChain {
  relay: Relay;
  /** ws://127.0.0.1:<port> */
  url: string;
  rpcUrl: string;
  registryAddress: `0x${string}`;
  chainId: number;
  /** Hardhat's first accounts, funded: #0 deployed the registry. */
  accounts: DevAccount[];
  /** A client signing with `accounts[index]` on this chain (no cache: every answer read fresh); destroyed by `stop()`. */
  clientOf(index: number): KeywayClient;
  /** Stops the relay, then the node. */
  stop(): Promise<void>;
}

/**
 * Starts a Hardhat node, deploys the registry and starts a relay on it, polling every 200 ms
 * (override any relay option). Every test file that uses it calls `stop()` in its `after`.
 *
 * @example
 * const chain = await startRelayOnChain();
 * const ws = new WebSocket(chain.url);
 * // ...
 * await chain.stop();
 */
export async function startRelayOnChain(options: Partial<RelayOptions> = {}): Promise<RelayOnChain> {
  const node = await startLocalNode();
  const clients: KeywayClient[] = [];
  try {
    const deployment = await deployLocalRegistry(node.url);
    const accounts = devAccounts(6);
    const relay = await createRelay({ rpcUrl: node.url, registryAddress: deployment.registryAddress, port: 0, pollingInterval: 200, ...options });
    return {
      relay,
      url: relay.url,
      rpcUrl: node.url,
      registryAddress: deployment.registryAddress,
      chainId: deployment.chainId,
      accounts,
      clientOf(index) {
        const client = new KeywayClient({ rpcUrl: node.url, registryAddress: deployment.registryAddress, privateKey: accounts[index].privateKey, cache: false });
        clients.push(client);
        return client;
      },
      async stop() {
        clients.forEach((client) => client.destroy());
        await relay.close();
        await node.stop();
      },
    };
  } catch (error) {
    await node.stop();
    throw error;
  }
}

/** Who signs a SIWE message: a development account, or a fresh session key (`privateKeyToAccount`). */
export type SiweSigner = { account: Pick<LocalAccount, "address" | "signMessage"> };

/** A frame as received: parsed JSON. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Frame = Record<string, any>;

/** A raw protocol client: a `ws` socket, every frame it received, and helpers to wait for frames. */
export interface RawClient {
  socket: WebSocket;
  hello: Frame;
  /** Every frame received, in order (hello first). */
  frames: Frame[];
  /** How many of them came as binary frames (`keyway-binary`). */
  readonly binaryFrames: number;
  /** Sends a request with a fresh numeric id and resolves with the reply carrying that id. */
  request(frame: Frame): Promise<Frame>;
  /** Sends text (or bytes) as is. */
  sendRaw(data: string | Buffer, options?: { binary?: boolean }): void;
  /** Resolves with the first frame received (already or later) that matches. */
  waitFor(match: (frame: Frame) => boolean, what: string, timeoutMs?: number): Promise<Frame>;
  /**
   * Signs in with SIWE as `account`; `overrides` change fields of the message (domain, chainId, nonce, times...);
   * `fields` are added to the auth frame (a session key's `delegation`).
   */
  signIn(account: SiweSigner, overrides?: Partial<Parameters<typeof createSiweMessage>[0]>, signer?: SiweSigner, fields?: Frame): Promise<Frame>;
  /** Resolves with the close code and reason once the connection has closed. */
  closed: Promise<{ code: number; reason: string }>;
  close(): Promise<void>;
}

const clients = new Set<RawClient>();

/**
 * Connects to the relay (`options`: ws's, e.g. `localAddress` to connect from another 127.x address) and waits for its hello;
 * with `binary`, offers the `keyway-binary` subprotocol and sends its requests binary. Closed by `closeAllClients()`.
 */
export async function connect(url: string, options: WebSocket.ClientOptions = {}, { binary = false } = {}): Promise<RawClient> {
  const socket = binary ? new WebSocket(url, [Subprotocol.BINARY], options) : new WebSocket(url, options);
  const frames: Frame[] = [];
  const waiters = new Set<() => void>();
  let nextId = 0;
  let binaryFrames = 0;
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.once("close", (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  socket.on("message", (data: Buffer, isBinary) => {
    if (isBinary) binaryFrames += 1;
    frames.push(isBinary ? decodeBinaryFrame(data, "server") : JSON.parse(data.toString()));
    waiters.forEach((wake) => wake());
  });
  socket.on("error", () => undefined);

  function waitFor(match: (frame: Frame) => boolean, what: string, timeoutMs = 30_000): Promise<Frame> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = frames.find(match);
        if (found === undefined) return false;
        done();
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out waiting for ${what}; received ${frames.length} frames, the last: ${JSON.stringify(frames.slice(-3)).slice(0, 1000)}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(wake);
      };
      const wake = () => void check();
      if (!check()) waiters.add(wake);
    });
  }

  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
  });
  const hello = await waitFor((frame) => frame.type === "hello", "hello");
  const client: RawClient = {
    socket,
    hello,
    frames,
    get binaryFrames() {
      return binaryFrames;
    },
    request(frame) {
      const id = ++nextId;
      socket.send(binary ? encodeBinaryFrame({ ...frame, type: frame.type, id }, "request") : JSON.stringify({ ...frame, id }));
      return waitFor((reply) => reply.id === id, `the reply to ${frame.type} #${id}`);
    },
    sendRaw: (data, options = {}) => socket.send(data, options),
    waitFor,
    async signIn(account, overrides = {}, signer = account, fields = {}) {
      const host = new URL(url).host;
      const nonce = [...frames].reverse().find((frame) => frame.nonce !== undefined)!.nonce as string;
      const message = createSiweMessage({
        address: account.account.address,
        chainId: hello.chainId,
        domain: host,
        nonce,
        uri: `http://${host}`,
        version: "1",
        issuedAt: new Date(),
        ...overrides,
      });
      const signature = await signer.account.signMessage({ message });
      return client.request({ type: "auth", message, signature, ...fields });
    },
    closed,
    async close() {
      clients.delete(client);
      if (socket.readyState !== WebSocket.CLOSED) {
        socket.close();
        await closed;
      }
    },
  };
  clients.add(client);
  return client;
}

/** Closes every client `connect` opened and has not closed yet. */
export async function closeAllClients(): Promise<void> {
  await Promise.all([...clients].map((client) => client.close()));
}
