import { expect } from "chai";
import { createPublicClient, createWalletClient, http, stringToHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { hardhat } from "viem/chains";
import { createPublisher, KeywayClient, streamRegistryAbi, StreamPermission } from "../../sdk";
import { closeAllClients, connect, type Frame, type RawClient, type RelayOnChain, startRelayOnChain } from "./fixtures";
import { createRelay } from "../../relay";
import { contentsOf, createTestStream, domainOf, gatedPublicClient, publisherOf, until, waitForContent } from "./helpers";

const READING = { type: "object", required: ["t"], properties: { t: { type: "number" } } };

describe("relay: content rules (a JSON Schema in the stream's metadata)", function () {
  let chain: RelayOnChain;
  let owner: KeywayClient;

  before(async function () {
    chain = await startRelayOnChain();
    owner = chain.clientOf(0);
  });
  afterEach(closeAllClients);
  after(async function () {
    await chain?.stop();
  });

  /** A public stream with `schema` in its metadata, a subscriber on it, and a publish function (account #0's chain). */
  async function ruledStream(schema: unknown) {
    const streamId = (await owner.createStream(`/schema/${Date.now()}-${Math.random()}`, { schema })).id;
    await owner.grantPermissions(streamId, { public: true, permissions: [StreamPermission.SUBSCRIBE] });
    const subscriber = await connect(chain.url);
    expect(await subscriber.request({ type: "subscribe", streamId })).to.include({ type: "subscribed" });
    const publisher = await connect(chain.url);
    const sign = publisherOf(chain, streamId, chain.accounts[0]);
    const publish = async (value: unknown): Promise<Frame> => publisher.request({ type: "publish", message: await sign(value) });
    return { streamId, subscriber, publisher, publish };
  }

  /** Publishes `value` (which the rule accepts) and waits for it: whatever was refused before it was not delivered. */
  async function witness(subscriber: RawClient, streamId: string, publish: (value: unknown) => Promise<Frame>, value: unknown) {
    expect(await publish(value)).to.include({ type: "published" });
    await waitForContent(subscriber, streamId, value);
  }

  it("delivers content that matches; refuses the rest with MESSAGE_REJECTED reason schema and the first violation, delivering nothing", async function () {
    const { streamId, subscriber, publish } = await ruledStream(READING);
    expect(await publish({ t: 21.5 })).to.include({ type: "published" });
    const refused = await publish({ t: "hot" });
    expect(refused).to.include({ type: "error", code: "MESSAGE_REJECTED", reason: "schema" });
    expect(refused.message).to.contain("/t must be number");
    expect(await publish({ unit: "C" })).to.include({ code: "MESSAGE_REJECTED", reason: "schema" });
    await witness(subscriber, streamId, publish, { t: 22 });
    expect(contentsOf(subscriber, streamId)).to.deep.equal([{ t: 21.5 }, { t: 22 }]);
  });

  it("messages waiting for a stream's schema share one node read: none is refused RATE_LIMITED by maxPublishReads while it is read", async function () {
    const streamId = (await owner.createStream(`/schema/${Date.now()}-cold`, { schema: READING })).id;
    // The relay's client, on a node that holds reads: its cache knows the publisher's permission, not the metadata.
    const node = gatedPublicClient(chain.rpcUrl);
    const client = new KeywayClient({ rpcUrl: chain.rpcUrl, registryAddress: chain.registryAddress, publicClient: node.publicClient, pollingInterval: 200 });
    const relay = await createRelay({ client, port: 0, maxPublishReads: 2 });
    try {
      await client.getPermissionExpiry({ streamId, userId: chain.accounts[0].account.address, permission: StreamPermission.PUBLISH, allowPublic: true });
      const sign = publisherOf(chain, streamId, chain.accounts[0]);
      const messages = [];
      for (let t = 0; t < 5; t++) messages.push(await sign({ t }));
      node.hold();
      const publisher = await connect(relay.url);
      const replies = Promise.all(messages.map((message) => publisher.request({ type: "publish", message })));
      await until(() => node.waiting() >= 1, "the schema's read");
      node.release();
      expect((await replies).map((reply) => reply.type)).to.deep.equal(["published", "published", "published", "published", "published"]);
    } finally {
      await relay.close();
      client.destroy();
    }
  });

  it("refuses content that is not JSON on a stream with a schema", async function () {
    const { streamId, publisher } = await ruledStream(READING);
    const bytes = createPublisher({ streamId, partition: 0, signer: chain.accounts[0].privateKey, domain: domainOf(chain), contentType: "application/octet-stream" });
    const reply = await publisher.request({ type: "publish", message: await bytes.publish(stringToHex("not json")) });
    expect(reply).to.include({ code: "MESSAGE_REJECTED", reason: "schema" });
    expect(reply.message).to.contain("needs application/json content");
  });

  it("a metadata update changes the rule from the next message on (once the relay's poll has seen it)", async function () {
    const { streamId, subscriber, publish } = await ruledStream(READING);
    await witness(subscriber, streamId, publish, { t: 1 });
    await owner.updateStreamMetadata(streamId, JSON.stringify({ schema: { type: "string" } }));
    // Each try a new message: refused under the old rule until the update is seen, then accepted, then the old shape is refused.
    await until(async () => (await publish("now a string")).type === "published", "the new rule");
    expect(await publish({ t: 2 })).to.include({ code: "MESSAGE_REJECTED", reason: "schema" });
    await owner.updateStreamMetadata(streamId, "{}");
    await until(async () => (await publish({ anything: true })).type === "published", "no rule");
  });

  it("a stream whose schema cannot be used (set around the SDK's checks) refuses every message, saying why", async function () {
    const { streamId, subscriber, publish } = await ruledStream(READING);
    let hostile: object = { type: "number" };
    for (let level = 0; level < 1_000; level++) hostile = { properties: { a: hostile } };
    // Written straight to the contract: the SDK's updateStreamMetadata would refuse it.
    const transport = http(chain.rpcUrl);
    const wallet = createWalletClient({ account: privateKeyToAccount(chain.accounts[0].privateKey), chain: hardhat, transport });
    const hash = await wallet.writeContract({ address: chain.registryAddress, abi: streamRegistryAbi, functionName: "updateStreamMetadata", args: [streamId, JSON.stringify({ schema: hostile })] });
    await createPublicClient({ chain: hardhat, transport }).waitForTransactionReceipt({ hash });
    let reply: Frame = {};
    await until(async () => (reply = await publish(5)).type === "error", "the unusable rule");
    expect(reply).to.include({ code: "MESSAGE_REJECTED", reason: "schema" });
    expect(reply.message).to.match(/schema cannot be used.*nests deeper/);
    // The relay still serves: another stream's messages go through.
    const other = await createTestStream(owner, { publicSubscribe: true });
    expect(await (await connect(chain.url)).request({ type: "publish", message: await publisherOf(chain, other, chain.accounts[0])({ fine: true }) })).to.include({ type: "published" });
    expect(contentsOf(subscriber, streamId)).to.deep.equal([]);
  });
});
