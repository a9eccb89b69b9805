import { expect } from "chai";
import type { Address } from "viem";
import { createPublisher, createRelaySession, DecryptionError, encryptContent, MessageRejectedError, type KeyRequest, KeywayClient, type MessageMetadata, privateKeySigner, signKeyRequest, StreamPermission, type Subscription } from "../../sdk";
import { Redis } from "ioredis";
import { startRedis, type TestRedis } from "../../scripts/clusterProcesses";
import { createRelay } from "../../relay";
import { closeAllClients, connect, type RelayOnChain, startRelayOnChain } from "./fixtures";
import { createTestStream, domainOf, messagesOf, until } from "./helpers";

const MARKER = "plaintext-marker-7f3a";

/** What one SDK subscriber received, in order. */
interface Received {
  contents: unknown[];
  metadata: MessageMetadata[];
  errors: Error[];
  ended: string[];
}

describe("end-to-end encryption: private streams encrypted, keys exchanged through the relay, re-keyed on loss", function () {
  let chain: RelayOnChain;
  const clients: KeywayClient[] = [];
  const address = (index: number) => chain.accounts[index].account.address.toLowerCase() as Address;

  before(async function () {
    chain = await startRelayOnChain();
  });
  afterEach(async function () {
    clients.splice(0).forEach((client) => client.destroy());
    await closeAllClients();
  });
  after(async function () {
    await chain?.stop();
  });

  /** An SDK client of account `index` on the relay (cached permissions, polling every 200 ms). */
  function sdkClient(index: number, options: Partial<ConstructorParameters<typeof KeywayClient>[0]> = {}): KeywayClient {
    const client = new KeywayClient({ rpcUrl: chain.rpcUrl, registryAddress: chain.registryAddress, privateKey: chain.accounts[index].privateKey, relayUrl: chain.url, pollingInterval: 200, ...options });
    clients.push(client);
    return client;
  }

  async function subscribeAll(client: KeywayClient, streamId: string, options: { resend?: { from: { timestamp: number; sequenceNumber: number } } } = {}): Promise<Received & { subscription: Subscription }> {
    const received: Received = { contents: [], metadata: [], errors: [], ended: [] };
    const subscription = await client.subscribe({ streamId, ...options }, (content, metadata) => {
      received.contents.push(content);
      received.metadata.push(metadata);
    });
    subscription.on("error", (error) => received.errors.push(error));
    subscription.on("unsubscribed", (reason) => received.ended.push(reason));
    return { ...received, subscription };
  }

  /** A private stream of account #0 where `readers` hold Subscribe. */
  async function privateStream(...readers: number[]): Promise<string> {
    const owner = chain.clientOf(0);
    const streamId = await createTestStream(owner);
    for (const reader of readers) await owner.grantPermissions(streamId, { userId: address(reader), permissions: [StreamPermission.SUBSCRIBE] });
    return streamId;
  }

  it("encrypts a private stream: the relay's frames carry ciphertext and a groupKeyId, the SDK subscriber gets the plaintext", async function () {
    const streamId = await privateStream(1, 2);
    const tap = await connect(chain.url);
    await tap.signIn(chain.accounts[2]);
    await tap.request({ type: "subscribe", streamId });
    const reader = await subscribeAll(sdkClient(1), streamId);
    const publisher = sdkClient(0);
    for (let i = 0; i < 3; i++) await publisher.publish(streamId, { marker: MARKER, i });
    await until(() => reader.contents.length === 3, "three decrypted messages");
    expect(reader.contents).to.deep.equal([0, 1, 2].map((i) => ({ marker: MARKER, i })));
    expect(reader.metadata.every((m) => typeof m.groupKeyId === "string")).to.equal(true);
    expect(reader.errors).to.deep.equal([]);
    await until(() => messagesOf(tap, streamId).length === 3, "the tap's three frames");
    const wire = JSON.stringify(tap.frames);
    expect(wire).to.not.include(MARKER);
    expect(wire).to.not.include(Buffer.from(MARKER).toString("hex"));
    for (const frame of messagesOf(tap, streamId)) expect(frame.message.groupKeyId).to.be.a("string");
  });

  it("keeps a public-subscribe stream in plaintext, and `encryption: \"never\"` publishes plaintext on a private one", async function () {
    const owner = chain.clientOf(0);
    const open = await createTestStream(owner, { publicSubscribe: true });
    const tap = await connect(chain.url);
    await tap.request({ type: "subscribe", streamId: open });
    await sdkClient(0).publish(open, { marker: MARKER });
    await until(() => messagesOf(tap, open).length === 1, "the public message");
    expect(messagesOf(tap, open)[0].message).to.not.have.property("groupKeyId");

    const closed = await privateStream(1);
    const reader = await subscribeAll(sdkClient(1), closed);
    await sdkClient(0, { encryption: "never" }).publish(closed, { plain: true });
    await until(() => reader.contents.length === 1, "the plaintext message");
    expect(reader.metadata[0].groupKeyId).to.equal(undefined);
  });

  it("re-keys when one of three readers is revoked: the other two decrypt every message in order, the revoked one gets no later key", async function () {
    const streamId = await privateStream(1, 2, 3);
    const readers = await Promise.all([1, 2, 3].map((index) => subscribeAll(sdkClient(index), streamId)));
    const publisher = sdkClient(0);
    let sent = 0;
    const publishSome = async (count: number) => {
      for (let i = 0; i < count; i++) await publisher.publish(streamId, { n: sent++ });
    };
    await publishSome(5);
    await until(() => readers.every((r) => r.contents.length === 5), "five messages for each reader");
    const keysBefore = new Set(readers[2].metadata.map((m) => m.groupKeyId));

    await chain.clientOf(0).revokePermissions(streamId, { userId: address(3), permissions: [StreamPermission.SUBSCRIBE] });
    // Publishing on through the revocation: the publisher's watch re-keys within a poll.
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      await publishSome(1);
      const last = (await waitForLast(readers[0], sent)).groupKeyId!;
      if (!keysBefore.has(last)) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await publishSome(5);
    await until(() => readers[0].contents.length === sent && readers[1].contents.length === sent, "every message for the two remaining readers");
    for (const reader of readers.slice(0, 2)) {
      expect(reader.contents).to.deep.equal([...Array(sent).keys()].map((n) => ({ n })));
      expect(reader.errors).to.deep.equal([]);
    }
    const rekeyed = readers[0].metadata.filter((m) => !keysBefore.has(m.groupKeyId));
    expect(rekeyed.length).to.be.greaterThan(0);
    // The revoked reader was cut off by the relay, and nothing it received carries the new key.
    await until(() => readers[2].ended.length > 0, "the revoked reader's end");
    expect(readers[2].metadata.map((m) => m.groupKeyId).filter((id) => !keysBefore.has(id))).to.deep.equal([]);
  });

  it("a late subscriber decrypts history with `from`, also when the publisher is gone (another reader hands the key)", async function () {
    const streamId = await privateStream(1, 2);
    const early = await subscribeAll(sdkClient(1), streamId);
    const publisher = sdkClient(0);
    const first = await publisher.publish(streamId, { n: 0 });
    await publisher.publish(streamId, { n: 1 });
    await until(() => early.contents.length === 2, "the early reader's two messages");
    publisher.destroy();

    const late = await subscribeAll(sdkClient(2), streamId, { resend: { from: { timestamp: first.timestamp - 1, sequenceNumber: 0 } } });
    await until(() => late.contents.length === 2, "the late reader's two messages", 30_000);
    expect(late.contents).to.deep.equal([{ n: 0 }, { n: 1 }]);
    expect(late.errors).to.deep.equal([]);
  });

  it("delivers a message whose ciphertext does not authenticate, or whose key nobody holds, as a DecryptionError only, and goes on", async function () {
    const streamId = await privateStream(1);
    const reader = await subscribeAll(sdkClient(1), streamId);
    const publisher = sdkClient(0);
    const good = await publisher.publish(streamId, { n: 0 });
    await until(() => reader.contents.length === 1, "the first message");
    // The same publisher signs a message under its real key id whose ciphertext is garbage, then one under a key nobody has.
    const forge = createPublisher({ streamId, signer: chain.accounts[0].privateKey, domain: domainOf(chain), contentType: "application/json" });
    const raw = await connect(chain.url);
    const bogus = `0x${"ab".repeat(40)}` as const;
    await raw.request({ type: "publish", message: await forge.publish(bogus, { groupKeyId: good.groupKeyId }) });
    await raw.request({ type: "publish", message: await forge.publish(bogus, { groupKeyId: "no-such-key" }) });
    await publisher.publish(streamId, { n: 1 });
    await until(() => reader.contents.length === 2 && reader.errors.length === 2, "the next good message after two errors", 30_000);
    expect(reader.contents).to.deep.equal([{ n: 0 }, { n: 1 }]);
    expect(reader.errors.map((error) => [error.constructor.name, (error as DecryptionError).reason])).to.deep.equal([
      ["DecryptionError", "not-authentic"],
      ["DecryptionError", "key-unavailable"],
    ]);
    expect((reader.errors[0] as DecryptionError).code).to.equal("DECRYPTION_FAILED");
  });

  it("on a stream with a content schema: the SDK publisher judges its plaintext first, the relay passes ciphertext it cannot judge, and the reader judges the plaintext", async function () {
    const owner = chain.clientOf(0);
    const schema = { type: "object", properties: { celsius: { type: "number" } }, required: ["celsius"] };
    const streamId = (await owner.createStream(`/relay-test/schema-${Date.now()}`, { schema })).id;
    await owner.grantPermissions(streamId, { userId: address(1), permissions: [StreamPermission.SUBSCRIBE] });
    const reader = await subscribeAll(sdkClient(1), streamId);
    const publisher = sdkClient(0);
    expect((await publisher.publish(streamId, { celsius: 21.5 })).groupKeyId).to.be.a("string");
    await publisher.publish(streamId, { fahrenheit: 70 }).then(
      () => expect.fail("published content that breaks the schema"),
      (error) => expect(error).to.be.instanceOf(MessageRejectedError).and.to.include({ reason: "schema" }),
    );
    // A publisher that skips the SDK's check (its own key, from its own session): the relay cannot read it and passes it on.
    const session = createRelaySession({ url: chain.url, context: owner.context, permissions: owner, signer: privateKeySigner(chain.accounts[0].privateKey) });
    try {
      const key = await session.keyExchange.currentKey(streamId);
      const raw = createPublisher({ streamId, signer: chain.accounts[0].privateKey, domain: domainOf(chain), contentType: "application/json" });
      const sealed = await encryptContent(streamId, key, new TextEncoder().encode('{"fahrenheit":70}'));
      const tap = await connect(chain.url);
      expect(await tap.request({ type: "publish", message: await raw.publish(sealed, { groupKeyId: key.id }) })).to.include({ type: "published" });
      await publisher.publish(streamId, { celsius: 22 });
      await until(() => reader.contents.length === 2 && reader.errors.length === 1, "two good messages and one refusal");
    } finally {
      session.close();
    }
    expect(reader.contents).to.deep.equal([{ celsius: 21.5 }, { celsius: 22 }]);
    expect(reader.errors[0]).to.be.instanceOf(MessageRejectedError).and.to.include({ reason: "schema" });
  });

  describe("the relay forwards only key requests it would answer itself", function () {
    /** A signed key request of account `index` (or `signer`) on `streamId`. */
    async function keyRequest(streamId: string, index: number, overrides: Partial<KeyRequest> = {}, signer = chain.accounts[index].privateKey) {
      const request: KeyRequest = {
        streamId,
        requester: address(index),
        publisher: address(0),
        publicKey: `0x${"11".repeat(32)}`,
        groupKeyIds: ["k1"],
        timestamp: Date.now(),
        ...overrides,
      };
      return signKeyRequest(request, { signer: privateKeySigner(signer), domain: domainOf(chain) });
    }

    it("forwards a holder's request to the publisher's open inbox, once: a copy is refused", async function () {
      const streamId = await privateStream(1);
      const inbox = await connect(chain.url);
      await inbox.signIn(chain.accounts[0]);
      expect(await inbox.request({ type: "openInbox" })).to.include({ type: "inboxOpen" });
      const asker = await connect(chain.url);
      await asker.signIn(chain.accounts[1]);
      const request = await keyRequest(streamId, 1);
      expect(await asker.request({ type: "keyRequest", to: [address(0)], request })).to.include({ type: "forwarded" });
      const pushed = await inbox.waitFor((frame) => frame.type === "keyRequest", "the forwarded request");
      expect(pushed).to.deep.equal({ type: "keyRequest", from: address(1), request });
      expect(await asker.request({ type: "keyRequest", to: [address(0)], request })).to.include({ type: "error", code: "UNAUTHORIZED" });
    });

    it("refuses forged, foreign, stale, non-holder and malformed requests, anonymous senders and bad responses; nothing reaches the inbox", async function () {
      const streamId = await privateStream(1);
      const inbox = await connect(chain.url);
      await inbox.signIn(chain.accounts[0]);
      await inbox.request({ type: "openInbox" });
      const asker = await connect(chain.url);
      const anonymous = await connect(chain.url);
      expect(await anonymous.request({ type: "openInbox" })).to.include({ type: "error", code: "UNAUTHORIZED" });
      expect(await anonymous.request({ type: "keyRequest", to: [address(0)], request: await keyRequest(streamId, 1) })).to.include({ code: "UNAUTHORIZED" });
      await asker.signIn(chain.accounts[1]);
      const refusals: [string, unknown, string][] = [
        ["forged (signed by another key)", await keyRequest(streamId, 1, {}, chain.accounts[2].privateKey), "UNAUTHORIZED"],
        ["for another requester", await keyRequest(streamId, 2), "UNAUTHORIZED"],
        ["stale", await keyRequest(streamId, 1, { timestamp: Date.now() - 120_000 }), "UNAUTHORIZED"],
        ["tampered after signing", { ...(await keyRequest(streamId, 1)), publicKey: `0x${"22".repeat(32)}` }, "UNAUTHORIZED"],
        ["malformed", { ...(await keyRequest(streamId, 1)), groupKeyIds: "k1" }, "INVALID_REQUEST"],
        ["not an object", "request", "INVALID_REQUEST"],
      ];
      for (const [what, request, code] of refusals) {
        const reply = await asker.request({ type: "keyRequest", to: [address(0)], request });
        expect(reply, what).to.include({ type: "error", code });
      }
      // Account #3 holds no Subscribe.
      const outsider = await connect(chain.url);
      await outsider.signIn(chain.accounts[3]);
      expect(await outsider.request({ type: "keyRequest", to: [address(0)], request: await keyRequest(streamId, 3) })).to.include({ code: "UNAUTHORIZED" });
      for (const to of [[], ["0xABC"], Array(33).fill(address(0))]) {
        expect(await asker.request({ type: "keyRequest", to, request: await keyRequest(streamId, 1) })).to.include({ code: "INVALID_REQUEST" });
      }
      for (const response of [undefined, {}, { streamId, requestSignature: "0x1", publicKey: "0x2", ciphertext: "0x" }]) {
        expect(await asker.request({ type: "keyResponse", to: address(0), response })).to.include({ code: "INVALID_REQUEST" });
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(inbox.frames.filter((frame) => frame.type === "keyRequest" || frame.type === "keyResponse")).to.deep.equal([]);
    });
  });

  /** Waits for the reader's message number `count` (1-based) and returns its metadata. */
  async function waitForLast(reader: Received, count: number): Promise<MessageMetadata> {
    await until(() => reader.contents.length >= count, `message ${count}`);
    return reader.metadata[count - 1];
  }
});

describe("end-to-end encryption against a relay that does not enforce, and its Redis", function () {
  let chain: RelayOnChain;
  let redis: TestRedis;
  const clients: KeywayClient[] = [];
  const address = (index: number) => chain.accounts[index].account.address.toLowerCase() as Address;

  before(async function () {
    redis = await startRedis();
    // A relay that never sees a revocation (it polls once an hour): it keeps feeding a revoked reader, as a compromised one would.
    chain = await startRelayOnChain({ pollingInterval: 3_600_000, redisUrl: redis.url });
  });
  afterEach(async function () {
    clients.splice(0).forEach((client) => client.destroy());
    await closeAllClients();
  });
  after(async function () {
    await chain?.stop();
    await redis?.stop();
  });

  function sdkClient(index: number): KeywayClient {
    const client = new KeywayClient({ rpcUrl: chain.rpcUrl, registryAddress: chain.registryAddress, privateKey: chain.accounts[index].privateKey, relayUrl: chain.url, pollingInterval: 200 });
    clients.push(client);
    return client;
  }

  it("exchanges keys across the cluster: a reader on another relay of the same Redis gets the publisher's key", async function () {
    const other = await createRelay({ rpcUrl: chain.rpcUrl, registryAddress: chain.registryAddress, port: 0, pollingInterval: 200, redisUrl: redis.url });
    try {
      const owner = chain.clientOf(0);
      const streamId = await createTestStream(owner);
      await owner.grantPermissions(streamId, { userId: address(1), permissions: [StreamPermission.SUBSCRIBE] });
      const reader = new KeywayClient({ rpcUrl: chain.rpcUrl, registryAddress: chain.registryAddress, privateKey: chain.accounts[1].privateKey, relayUrl: other.url, pollingInterval: 200 });
      clients.push(reader);
      const contents: unknown[] = [];
      await reader.subscribe(streamId, (content) => void contents.push(content));
      const sent = await sdkClient(0).publish(streamId, { across: true });
      expect(sent.groupKeyId).to.be.a("string");
      await until(() => contents.length === 1, "the message decrypted on the other relay");
      expect(contents).to.deep.equal([{ across: true }]);
    } finally {
      clients.splice(0).forEach((client) => client.destroy());
      await other.close();
    }
  });

  it("a revoked reader the relay keeps feeding decrypts nothing published after the re-key; Redis's history holds no plaintext", async function () {
    const owner = chain.clientOf(0);
    const streamId = await createTestStream(owner);
    for (const reader of [1, 2]) await owner.grantPermissions(streamId, { userId: address(reader), permissions: [StreamPermission.SUBSCRIBE] });
    const received = new Map<number, { contents: unknown[]; errors: Error[] }>();
    for (const reader of [1, 2]) {
      const entry = { contents: [] as unknown[], errors: [] as Error[] };
      received.set(reader, entry);
      const subscription = await sdkClient(reader).subscribe(streamId, (content) => void entry.contents.push(content));
      subscription.on("error", (error) => entry.errors.push(error));
    }
    const publisher = sdkClient(0);
    const first = await publisher.publish(streamId, { marker: MARKER, n: 0 });
    await until(() => received.get(1)!.contents.length === 1 && received.get(2)!.contents.length === 1, "both readers' first message");

    await owner.revokePermissions(streamId, { userId: address(2), permissions: [StreamPermission.SUBSCRIBE] });
    let n = 1;
    for (let rekeyed = false; !rekeyed; n++) {
      rekeyed = (await publisher.publish(streamId, { marker: MARKER, n })).groupKeyId !== first.groupKeyId;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await until(() => received.get(1)!.contents.length === n, "every message for the remaining reader");
    // The revoked reader still gets the frames (this relay does not kick it), but no key for them.
    await until(() => received.get(2)!.errors.length > 0, "the revoked reader's DecryptionError", 30_000);
    const revoked = received.get(2)!;
    expect(revoked.errors.every((error) => error instanceof DecryptionError && error.reason === "key-unavailable")).to.equal(true);
    const readable = revoked.contents as { n: number }[];
    expect(readable.every(({ n: index }) => index < n - 1)).to.equal(true); // nothing under the new key
    // This relay forwarded the revoked reader's requests (its cache is stale); the publisher refused them, and counted them.
    expect(publisher.encryptionStats().rekeys).to.be.at.least(1);
    expect(publisher.encryptionStats().requestsRefused).to.be.greaterThan(0);

    const redisClient = new Redis(redis.url);
    try {
      const keys = await redisClient.keys("keyway:*");
      const dump = (await Promise.all(keys.filter((key) => key.endsWith(":h")).map((key) => redisClient.xrange(key, "-", "+")))).flat(3).join("\n");
      expect(dump).to.include(streamId);
      expect(dump).to.not.include(MARKER);
      expect(dump).to.not.include(Buffer.from(MARKER).toString("hex"));
    } finally {
      redisClient.disconnect();
    }
  });
});
