import { createPublicClient, custom, type Hex, http, stringToHex } from "viem";
import { hardhat } from "viem/chains";
import { createPublisher, type KeywayClient, type MessageDomain, type Publisher, type SignedStreamMessage, StreamPermission } from "../../sdk";
import type { DevAccount } from "../../scripts/devChain";
import { createRelay, type Relay, type RelayOptions } from "../../relay";
import { closeAllClients, type Frame, type RawClient, type RelayOnChain, startRelayOnChain } from "./fixtures";

let streamCount = 0;

/** Creates a fresh stream owned by `owner` (optionally public for subscribers, with `partitions`, default 1) and returns its id. */
export async function createTestStream(owner: KeywayClient, { publicSubscribe = false, partitions }: { publicSubscribe?: boolean; partitions?: number } = {}): Promise<string> {
  const stream = await owner.createStream(`/relay-test/${Date.now()}-${++streamCount}`, { partitions });
  if (publicSubscribe) await owner.grantPermissions(stream.id, { public: true, permissions: [StreamPermission.SUBSCRIBE] });
  return stream.id;
}

export function domainOf(chain: RelayOnChain): MessageDomain {
  return { chainId: chain.chainId, verifyingContract: chain.registryAddress };
}

/** A publisher of JSON messages signed by `account` (one message chain), timestamped by its own clock `now`. */
export function publisherOf(chain: RelayOnChain, streamId: string, account: Pick<DevAccount, "privateKey">, partition = 0, now?: () => number): (value: unknown) => Promise<SignedStreamMessage> {
  const publisher: Publisher = createPublisher({ streamId, partition, signer: account.privateKey, domain: domainOf(chain), contentType: "application/json", ...(now && { now }) });
  return (value) => publisher.publish(stringToHex(JSON.stringify(value)) as Hex);
}

/** The `message` pushes a client received for a stream, in order. */
export function messagesOf(client: RawClient, streamId: string): Frame[] {
  return client.frames.filter((frame) => frame.type === "message" && frame.streamId === streamId);
}

/** Waits until the client has received the message with this content on the stream. */
export function waitForContent(client: RawClient, streamId: string, value: unknown): Promise<Frame> {
  const content = stringToHex(JSON.stringify(value));
  return client.waitFor((frame) => frame.type === "message" && frame.streamId === streamId && frame.message.content === content, `message ${JSON.stringify(value).slice(0, 100)}`);
}

/** The JSON contents of the messages a client received on a stream, in order. */
export function contentsOf(client: RawClient, streamId: string): unknown[] {
  return messagesOf(client, streamId).map((frame) => JSON.parse(Buffer.from(frame.message.content.slice(2), "hex").toString("utf8")));
}

/** Polls `condition` until it holds (generous timeout: the machine is shared). */
export async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * A public client on `rpcUrl` that records every request and, after `hold()`, keeps each
 * `eth_call` waiting, in order, until released: a node slow to answer reads, for the relay's `publicClient`.
 */
export function gatedPublicClient(rpcUrl: string) {
  const node = http(rpcUrl)({ chain: hardhat, retryCount: 0 });
  const requests: { method: string; params?: unknown }[] = [];
  const waiting: (() => void)[] = [];
  let holding = false;
  let held = 0;
  const request = async (args: { method: string; params?: unknown }) => {
    requests.push(args);
    if (holding && args.method === "eth_call") {
      held += 1;
      await new Promise<void>((resolve) => waiting.push(resolve));
    }
    return node.request(args);
  };
  return {
    publicClient: createPublicClient({ chain: hardhat, transport: custom({ request }, { retryCount: 0 }) }),
    requests,
    /** eth_calls that waited (or wait) at the gate. */
    held: () => held,
    /** eth_calls waiting now. */
    waiting: () => waiting.length,
    hold() {
      holding = true;
    },
    /** Lets the `count` longest-waiting calls through; the gate stays. */
    releaseFirst(count: number) {
      waiting.splice(0, count).forEach((resolve) => resolve());
    },
    release() {
      holding = false;
      waiting.splice(0).forEach((resolve) => resolve());
    },
  };
}

/**
 * Registers, in the calling `describe`, the hooks most relay test files share: `start` (a chain
 * with its relay, and whatever the file keeps of it) before the first test; after each test,
 * every raw client and every relay `relayWith` made closed; the chain stopped after the last.
 * Returns `relayWith(options)`: another relay on the same chain, polling every 200 ms.
 */
export function relayTestHooks(start: () => Promise<RelayOnChain>): (options: Partial<RelayOptions>) => Promise<Relay> {
  let chain: RelayOnChain | undefined;
  const relays: Relay[] = [];
  before(async function () {
    chain = await start();
  });
  afterEach(async function () {
    await closeAllClients();
    await Promise.all(relays.splice(0).map((relay) => relay.close()));
  });
  after(async function () {
    await chain?.stop();
  });
  return async (options) => {
    const relay = await createRelay({ rpcUrl: chain!.rpcUrl, registryAddress: chain!.registryAddress, port: 0, pollingInterval: 200, ...options });
    relays.push(relay);
    return relay;
  };
}

/** `relayTestHooks` on a fresh chain with one stream the public may subscribe to, handed to `ready` once made. */
export function publicStreamTestHooks(ready: (chain: RelayOnChain, streamId: string) => void): ReturnType<typeof relayTestHooks> {
  return relayTestHooks(async () => {
    const chain = await startRelayOnChain();
    ready(chain, await createTestStream(chain.clientOf(0), { publicSubscribe: true }));
    return chain;
  });
}
