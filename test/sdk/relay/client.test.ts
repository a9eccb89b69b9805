import { expect } from "chai";
import { createRelay, type Relay } from "../../../relay";
import { type Broker, BrokerUnavailableError, createLocalBroker } from "../../../relay/broker";
import {
  createRelaySession,
  InvalidArgumentError,
  InvalidStreamIdError,
  KeywayClient,
  type KeywayClientOptions,
  type MessageMetadata,
  MessageRejectedError,
  MissingSignerError,
  privateKeySigner,
  publish,
  RelayUnreachableError,
  type SignedStreamMessage,
  StreamNotFoundError,
  StreamPermission,
  subscribe,
  type Subscription,
  type SubscriptionEndReason,
  UnauthorizedError,
} from "../../../sdk";
import { findFreePort } from "../../../scripts/localNode";
import { type RelayOnChain, startRelayOnChain } from "../../relay/fixtures";
import { connect } from "../../relay/fixtures";
import { createTestStream, publisherOf, until } from "../../relay/helpers";
import { startTcpProxy, type TcpProxy } from "./proxy";

interface Received {
  content: unknown;
  metadata: MessageMetadata;
}

/** What a subscription delivered, and its events. */
interface Recorder {
  received: Received[];
  errors: Error[];
  ended: SubscriptionEndReason[];
  onMessage: (content: unknown, metadata: MessageMetadata) => void;
  watch(subscription: Subscription): Subscription;
}

function recorder(): Recorder {
  const r: Recorder = {
    received: [],
    errors: [],
    ended: [],
    onMessage: (content, metadata) => r.received.push({ content, metadata }),
    watch: (subscription) => subscription.on("error", (e) => r.errors.push(e)).on("unsubscribed", (reason) => r.ended.push(reason)),
  };
  return r;
}

describe("SDK relay client: KeywayClient.publish / subscribe against a live relay", function () {
  let chain: RelayOnChain;
  let owner: KeywayClient;
  let clients: KeywayClient[] = [];
  let ownerAddress: string;
  let subscriberAddress: string;

  /** A client of `chain.accounts[index]` (anonymous with `undefined`) talking to the relay at `relayUrl`. */
  function clientOf(index: number | undefined, relayUrl = chain.url, options: Partial<KeywayClientOptions> = {}): KeywayClient {
    const client = new KeywayClient({
      rpcUrl: chain.rpcUrl,
      registryAddress: chain.registryAddress,
      ...(index !== undefined && { privateKey: chain.accounts[index].privateKey }),
      relayUrl,
      pollingInterval: 200,
      ...options,
    });
    clients.push(client);
    return client;
  }

  /** A stream of the owner (account 0): account 1 may subscribe; the public too with `publicSubscribe`. */
  async function streamWithSubscriber(options: { publicSubscribe?: boolean; partitions?: number } = {}): Promise<string> {
    const streamId = await createTestStream(owner, options);
    await owner.grantPermissions(streamId, { userId: subscriberAddress, permissions: [StreamPermission.SUBSCRIBE] });
    return streamId;
  }

  before(async function () {
    chain = await startRelayOnChain();
    owner = chain.clientOf(0);
    ownerAddress = chain.accounts[0].account.address.toLowerCase();
    subscriberAddress = chain.accounts[1].account.address.toLowerCase();
  });
  afterEach(function () {
    clients.forEach((client) => client.destroy());
    clients = [];
  });
  after(async function () {
    await chain?.stop();
  });

  it("delivers published messages once each, in order, verified, with their metadata; publish resolves with the signed message", async function () {
    const streamId = await streamWithSubscriber();
    const subscriber = clientOf(1);
    const publisher = clientOf(0);
    const r = recorder();
    const sub = r.watch(await subscriber.subscribe({ streamId }, r.onMessage));
    expect(sub).to.include({ streamId, partition: 0 });

    const sent: SignedStreamMessage[] = [];
    for (let i = 0; i < 20; i++) sent.push(await publisher.publish(streamId, { i, text: "é✓" }));
    sent.push(await publisher.publish(streamId, new Uint8Array([0, 255, 10])));
    await until(() => r.received.length === sent.length, "every message");

    expect(r.received.map((m) => m.content)).to.deep.equal([...Array.from({ length: 20 }, (_, i) => ({ i, text: "é✓" })), new Uint8Array([0, 255, 10])]);
    expect(sent[0]).to.include({ streamId, partition: 0, publisher: ownerAddress, contentType: "application/json" });
    expect(sent[20].contentType).to.equal("application/octet-stream");
    r.received.forEach(({ metadata }, i) =>
      expect(metadata).to.deep.equal({
        streamId,
        partition: 0,
        timestamp: sent[i].timestamp,
        sequenceNumber: sent[i].sequenceNumber,
        publisherId: ownerAddress,
        msgChainId: sent[i].msgChainId,
        signature: sent[i].signature,
        contentType: sent[i].contentType,
        // A private stream: encrypted by default (docs/encryption.md), decrypted by the subscriber.
        groupKeyId: sent[i].groupKeyId,
      }),
    );
    expect(sent.every((message) => typeof message.groupKeyId === "string")).to.equal(true);
    expect(r.errors).to.deep.equal([]);
  });

  it("keeps partitions apart and subscribes by stream id alone to partition 0", async function () {
    const streamId = await streamWithSubscriber({ partitions: 4 });
    const [zero, three] = [recorder(), recorder()];
    const subscriber = clientOf(1);
    await subscriber.subscribe(streamId, zero.onMessage);
    await subscriber.subscribe({ streamId, partition: 3 }, three.onMessage);
    const publisher = clientOf(0);
    await publisher.publish(streamId, "to 3", { partition: 3 });
    await publisher.publish(streamId, "to 0");
    await until(() => zero.received.length === 1 && three.received.length === 1, "one message on each partition");
    expect([zero.received[0].content, three.received[0].content]).to.deep.equal(["to 0", "to 3"]);
    expect(three.received[0].metadata.partition).to.equal(3);
  });

  it("refuses a partition beyond the stream's count with INVALID_ARGUMENT before sending anything to the relay", async function () {
    const streamId = await streamWithSubscriber({ partitions: 2 });
    // No relay listens there: a refusal that sent anything would be RelayUnreachableError.
    const nowhere = `ws://127.0.0.1:${await findFreePort()}`;
    const beyond = (error: unknown) => expect(error).to.be.instanceOf(InvalidArgumentError).and.include({ code: "INVALID_ARGUMENT", message: "partition 2 is beyond the stream's 2 partitions" });
    beyond(await clientOf(0, nowhere).publish(streamId, "x", { partition: 2 }).catch((e: unknown) => e));
    beyond(await clientOf(1, nowhere).subscribe({ streamId, partition: 2 }, () => undefined).catch((e: unknown) => e));
    const single = await streamWithSubscriber();
    const error = await clientOf(0, nowhere).publish(single, "x", { partition: 1 }).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(InvalidArgumentError).and.include({ message: "partition 1 is beyond the stream's 1 partition" });
    // Within the count, against the real relay: taken.
    const r = recorder();
    r.watch(await clientOf(1).subscribe({ streamId, partition: 1 }, r.onMessage));
    await clientOf(0).publish(streamId, "on 1", { partition: 1 });
    await until(() => r.received.length === 1, "the message on partition 1");
  });

  it("subscribes anonymously to a public stream only; refusals are typed errors with the relay's code", async function () {
    const publicStream = await streamWithSubscriber({ publicSubscribe: true });
    const privateStream = await streamWithSubscriber();
    const anonymous = clientOf(undefined);
    const r = recorder();
    await anonymous.subscribe(publicStream, r.onMessage);

    const refusal = await anonymous.subscribe(privateStream, r.onMessage).catch((e: unknown) => e);
    expect(refusal).to.be.instanceOf(UnauthorizedError).and.include({ code: "UNAUTHORIZED", streamId: privateStream });
    const stranger = await clientOf(2).subscribe(privateStream, r.onMessage).catch((e: unknown) => e);
    expect(stranger).to.be.instanceOf(UnauthorizedError);
    const missing = await anonymous.subscribe(`${ownerAddress}/no/such/stream`, r.onMessage).catch((e: unknown) => e);
    expect(missing).to.be.instanceOf(StreamNotFoundError).and.include({ code: "STREAM_NOT_FOUND" });

    await clientOf(0).publish(publicStream, "hello public");
    await until(() => r.received.length === 1, "the public message");
    expect(await anonymous.publish(publicStream, "x").catch((e: unknown) => e)).to.be.instanceOf(MissingSignerError);
  });

  it("rejects a publish by a non-publisher with MESSAGE_REJECTED and its reason, and delivers it to nobody", async function () {
    const streamId = await streamWithSubscriber();
    const r = recorder();
    r.watch(await clientOf(1).subscribe(streamId, r.onMessage));
    const error = await clientOf(2).publish(streamId, "intruder").catch((e: unknown) => e);
    expect(error).to.be.instanceOf(MessageRejectedError).and.include({ code: "MESSAGE_REJECTED", reason: "no-permission" });
    await clientOf(0).publish(streamId, "legit");
    await until(() => r.received.length === 1, "the legitimate message");
    expect(r.received.map((m) => m.content)).to.deep.equal(["legit"]);
    expect(r.errors).to.deep.equal([]);
  });

  it("the actions take (session, parameters): publish(session, { streamId, content, ... }), subscribe(session, { ..., onMessage })", async function () {
    const streamId = await streamWithSubscriber({ partitions: 3 });
    const sessionOf = (index: number) => {
      const client = clientOf(index);
      return createRelaySession({ url: chain.url, context: client.context, permissions: client, signer: privateKeySigner(chain.accounts[index].privateKey) });
    };
    const [subscriber, publisher] = [sessionOf(1), sessionOf(0)];
    try {
      const r = recorder();
      const sub = r.watch(await subscribe(subscriber, { streamId, partition: 2, onMessage: r.onMessage }));
      expect(sub).to.include({ streamId, partition: 2 });
      const sent = await publish(publisher, { streamId, content: { n: 1 }, partition: 2 });
      expect(sent).to.include({ streamId, partition: 2, publisher: ownerAddress, contentType: "application/json" });
      await until(() => r.received.length === 1, "the message");
      expect(r.received[0].content).to.deep.equal({ n: 1 });
      expect(r.received[0].metadata).to.include({ partition: 2, sequenceNumber: sent.sequenceNumber, signature: sent.signature });
      // The earlier positional forms are typed errors, and nothing is sent.
      const positionalPublish = await (publish as (...args: unknown[]) => Promise<unknown>)(publisher, streamId, { n: 2 }, { partition: 2 }).catch((e: unknown) => e);
      expect(positionalPublish).to.be.instanceOf(InvalidStreamIdError);
      const positionalSubscribe = await (subscribe as (...args: unknown[]) => Promise<unknown>)(subscriber, { streamId }, r.onMessage).catch((e: unknown) => e);
      expect(positionalSubscribe).to.be.instanceOf(InvalidArgumentError).with.property("message").that.matches(/onMessage/);
      await publish(publisher, { streamId, content: { n: 3 }, partition: 2 });
      await until(() => r.received.length === 2, "the next message");
      expect(r.received.map((m) => m.content)).to.deep.equal([{ n: 1 }, { n: 3 }]);
      expect(r.errors).to.deep.equal([]);
    } finally {
      subscriber.close();
      publisher.close();
    }
  });

  it("checks its arguments before any request", async function () {
    const client = clientOf(1);
    for (const bad of [{ streamId: "nope" }, { streamId: `${ownerAddress}/x`, partition: -1 }, { streamId: `${ownerAddress}/x`, resend: { from: { timestamp: 1.5, sequenceNumber: 0 } } }]) {
      const error = await client.subscribe(bad, () => {}).catch((e: unknown) => e);
      expect(error, JSON.stringify(bad)).to.be.instanceOf(Error).and.have.property("code").that.matches(/INVALID_(STREAM_ID|ARGUMENT)/);
    }
    expect(await client.publish(`${ownerAddress}/x`, undefined).catch((e: unknown) => e)).to.be.instanceOf(InvalidArgumentError);
    const noRelay = new KeywayClient({ rpcUrl: chain.rpcUrl, registryAddress: chain.registryAddress });
    expect(() => noRelay.subscribe(`${ownerAddress}/x`, () => {})).to.throw(InvalidArgumentError, /relayUrl/);
    expect(() => clientOf(1, "http://127.0.0.1:1").subscribe(`${ownerAddress}/x`, () => {})).to.throw(InvalidArgumentError, /ws/);
  });

  it("unsubscribe stops delivery; another subscription of the same client goes on", async function () {
    const streamId = await streamWithSubscriber();
    const subscriber = clientOf(1);
    const [first, second] = [recorder(), recorder()];
    const sub = await subscriber.subscribe(streamId, first.onMessage);
    await subscriber.subscribe(streamId, second.onMessage);
    const publisher = clientOf(0);
    await publisher.publish(streamId, 1);
    await until(() => first.received.length === 1 && second.received.length === 1, "the first message on both");
    await sub.unsubscribe();
    await publisher.publish(streamId, 2);
    await until(() => second.received.length === 2, "the second message on the remaining subscription");
    expect(first.received.map((m) => m.content)).to.deep.equal([1]);
    expect(first.ended).to.deep.equal([]);
  });

  it("a relay-ended subscription emits unsubscribed with the reason and delivers nothing after it (revocation, deletion)", async function () {
    const streamId = await streamWithSubscriber();
    const r = recorder();
    r.watch(await clientOf(1).subscribe(streamId, r.onMessage));
    const publisher = clientOf(0);
    await publisher.publish(streamId, "before");
    await until(() => r.received.length === 1, "the message before the revocation");
    await owner.revokePermissions(streamId, { userId: subscriberAddress, permissions: [StreamPermission.SUBSCRIBE] });
    await until(() => r.ended.length === 1, "the unsubscribed event");
    expect(r.ended).to.deep.equal(["PERMISSION_REVOKED"]);
    await publisher.publish(streamId, "after");
    expect(r.received.map((m) => m.content)).to.deep.equal(["before"]);

    const deleted = await streamWithSubscriber();
    const d = recorder();
    d.watch(await clientOf(1).subscribe(deleted, d.onMessage));
    await owner.deleteStream(deleted);
    await until(() => d.ended.length === 1, "the unsubscribed event of the deleted stream");
    expect(d.ended).to.deep.equal(["STREAM_DELETED"]);
  });

  it("resend.from replays the messages after that position, then goes live", async function () {
    const streamId = await streamWithSubscriber();
    const publisher = clientOf(0);
    const sent: SignedStreamMessage[] = [];
    for (let i = 0; i < 5; i++) sent.push(await publisher.publish(streamId, i));
    const r = recorder();
    await clientOf(1).subscribe({ streamId, resend: { from: { timestamp: sent[1].timestamp, sequenceNumber: sent[1].sequenceNumber } } }, r.onMessage);
    await publisher.publish(streamId, 5);
    await until(() => r.received.length === 4, "the replay and the live message");
    expect(r.received.map((m) => m.content)).to.deep.equal([2, 3, 4, 5]);
  });

  it("resend.from replays for a second subscription to a stream partition the client already receives; the first one gets nothing twice", async function () {
    const streamId = await streamWithSubscriber();
    const publisher = clientOf(0);
    const subscriber = clientOf(1);
    const live = recorder();
    live.watch(await subscriber.subscribe(streamId, live.onMessage));
    const sent: SignedStreamMessage[] = [];
    for (let i = 0; i < 5; i++) sent.push(await publisher.publish(streamId, i));
    await until(() => live.received.length === 5, "the first subscription's messages");
    const resent = recorder();
    resent.watch(await subscriber.subscribe({ streamId, resend: { from: { timestamp: sent[1].timestamp, sequenceNumber: sent[1].sequenceNumber } } }, resent.onMessage));
    await publisher.publish(streamId, 5);
    await until(() => resent.received.length === 4 && live.received.length === 6, `the replay and the live message (got ${resent.received.length} and ${live.received.length})`);
    await publisher.publish(streamId, 6);
    await until(() => resent.received.length === 5 && live.received.length === 7, "the next live message on both");
    expect(resent.received.map((m) => m.content)).to.deep.equal([2, 3, 4, 5, 6]);
    expect(live.received.map((m) => m.content)).to.deep.equal([0, 1, 2, 3, 4, 5, 6]);
    expect([...live.errors, ...resent.errors, ...live.ended, ...resent.ended]).to.deep.equal([]);
  });

  describe("reconnecting", function () {
    let proxy: TcpProxy;
    beforeEach(async function () {
      proxy = await startTcpProxy(chain.relay.port);
    });
    afterEach(async function () {
      await proxy.close();
    });

    it("resumes after the connection drops, repeatedly, with no message lost or repeated", async function () {
      const streamId = await streamWithSubscriber();
      const r = recorder();
      const subscriber = clientOf(1, proxy.url);
      r.watch(await subscriber.subscribe(streamId, r.onMessage));
      const publisher = clientOf(0); // straight to the relay
      const total = 60;
      for (let i = 0; i < total; i++) {
        await publisher.publish(streamId, i);
        if (i === 10 || i === 30 || i === 31) {
          await until(() => proxy.connectionCount() > 0, "the subscriber connected");
          proxy.dropAll();
        }
      }
      await until(() => r.received.length >= total, `all ${total} messages (got ${r.received.length})`);
      expect(r.received.map((m) => m.content)).to.deep.equal(Array.from({ length: total }, (_, i) => i));
      expect(r.errors).to.deep.equal([]);
      expect(r.ended).to.deep.equal([]);
    });

    it("keeps a live subscription whose resume the relay cannot serve yet (UNAVAILABLE: its history is unreachable), asks again, and resumes with nothing lost", async function () {
      const local = createLocalBroker({ count: 1_000, maxAgeMs: 600_000, maxBytes: 64 * 1024 * 1024 });
      let historyDown = false;
      let refusedReplays = 0;
      const broker: Broker = {
        ...local,
        replay(channel, from) {
          if (!historyDown) return local.replay(channel, from);
          refusedReplays += 1;
          return Promise.reject(new BrokerUnavailableError("the history is unreachable (test)"));
        },
      };
      const relay = await createRelay({ rpcUrl: chain.rpcUrl, registryAddress: chain.registryAddress, port: 0, pollingInterval: 200, broker });
      const flaky = await startTcpProxy(relay.port);
      try {
        const streamId = await streamWithSubscriber();
        const r = recorder();
        r.watch(await clientOf(1, flaky.url).subscribe(streamId, r.onMessage));
        const publisher = clientOf(0, relay.url);
        await publisher.publish(streamId, 0);
        await until(() => r.received.length === 1, "the first message");
        historyDown = true;
        flaky.dropAll();
        await until(() => refusedReplays >= 2, "the resume refused, and asked again");
        await publisher.publish(streamId, 1);
        historyDown = false;
        await publisher.publish(streamId, 2);
        await until(() => r.received.length === 3, `the messages published meanwhile (got ${r.received.length})`);
        expect(r.received.map((m) => m.content)).to.deep.equal([0, 1, 2]);
        expect(r.ended).to.deep.equal([]);
      } finally {
        await flaky.close();
        await relay.close();
      }
    });

    it("resumes without losing a message of another publisher timestamped before the last one delivered (publishers' clocks differ)", async function () {
      const streamId = await streamWithSubscriber();
      const r = recorder();
      r.watch(await clientOf(1, proxy.url).subscribe(streamId, r.onMessage));
      const relayClient = await connect(chain.url);
      const ahead = publisherOf(chain, streamId, chain.accounts[0], 0, () => Date.now() + 5_000);
      const onTime = publisherOf(chain, streamId, chain.accounts[0]);
      expect(await relayClient.request({ type: "publish", message: await ahead("ahead") })).to.include({ type: "published" });
      await until(() => r.received.length === 1, "the message of the publisher whose clock is ahead");
      proxy.pause();
      proxy.dropAll();
      expect(await relayClient.request({ type: "publish", message: await onTime("on time") })).to.include({ type: "published" });
      proxy.resume();
      await until(() => r.received.length === 2, "the other publisher's message, published while disconnected");
      expect(r.received.map((m) => m.content)).to.deep.equal(["ahead", "on time"]);
      expect([...r.errors, ...r.ended]).to.deep.equal([]);
      await relayClient.close();
    });

    it("re-sends publishes the relay had not acknowledged when the connection dropped; each is delivered once", async function () {
      const streamId = await streamWithSubscriber();
      const r = recorder();
      await clientOf(1).subscribe(streamId, r.onMessage);
      const publisher = clientOf(0, proxy.url);
      await publisher.publish(streamId, "first");
      const inFlight = Array.from({ length: 20 }, (_, i) => publisher.publish(streamId, i));
      proxy.dropAll();
      const acknowledged = await Promise.all(inFlight);
      // Each resolved with its own signed message, in chain order.
      acknowledged.slice(1).forEach((m, i) => expect([m.prevTimestamp, m.prevSequenceNumber]).to.deep.equal([acknowledged[i].timestamp, acknowledged[i].sequenceNumber]));
      await until(() => r.received.length === 21, "every message");
      expect(r.received.map((m) => m.content)).to.deep.equal(["first", ...Array.from({ length: 20 }, (_, i) => i)]);
    });

    it("does not resume a subscription whose permission was revoked while disconnected: error, then unsubscribed", async function () {
      const streamId = await streamWithSubscriber();
      const r = recorder();
      r.watch(await clientOf(1, proxy.url).subscribe(streamId, r.onMessage));
      const publisher = clientOf(0);
      await publisher.publish(streamId, "before");
      await until(() => r.received.length === 1, "the message before the drop");
      proxy.pause();
      proxy.dropAll();
      await owner.revokePermissions(streamId, { userId: subscriberAddress, permissions: [StreamPermission.SUBSCRIBE] });
      await publisher.publish(streamId, "while revoked");
      // Longer than the relay's polling interval (200 ms), so that its cache has seen the revocation.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      proxy.resume();
      await until(() => r.ended.length === 1, "the end of the subscription");
      expect(r.ended).to.deep.equal(["PERMISSION_REVOKED"]);
      expect(r.errors.map((e) => (e as UnauthorizedError).code)).to.deep.equal(["UNAUTHORIZED"]);
      expect(r.received.map((m) => m.content)).to.deep.equal(["before"]);
    });

    it("survives a relay restart on the same port: subscribers resubscribe, pending publishes go through", async function () {
      const port = await findFreePort();
      let relay: Relay = await createRelay({ rpcUrl: chain.rpcUrl, registryAddress: chain.registryAddress, port, pollingInterval: 200 });
      try {
        const streamId = await streamWithSubscriber();
        const r = recorder();
        r.watch(await clientOf(1, relay.url).subscribe(streamId, r.onMessage));
        const publisher = clientOf(0, relay.url);
        await publisher.publish(streamId, "before");
        await until(() => r.received.length === 1, "the message before the restart");
        await relay.close();
        const whileDown = publisher.publish(streamId, "while down");
        relay = await createRelay({ rpcUrl: chain.rpcUrl, registryAddress: chain.registryAddress, port, pollingInterval: 200 });
        await whileDown;
        await until(() => r.received.length === 2, "the message published while the relay was down");
        await publisher.publish(streamId, "after");
        await until(() => r.received.length === 3, "the message after the restart");
        expect(r.received.map((m) => m.content)).to.deep.equal(["before", "while down", "after"]);
        expect(r.ended).to.deep.equal([]);
      } finally {
        clients.forEach((client) => client.destroy());
        await relay.close();
      }
    });
  });

  it("fails with RELAY_UNREACHABLE when no relay listens, and destroy() fails what is pending", async function () {
    const port = await findFreePort();
    const client = clientOf(1, `ws://127.0.0.1:${port}`);
    const error = await client.subscribe(`${ownerAddress}/x`, () => {}).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(RelayUnreachableError).and.include({ code: "RELAY_UNREACHABLE" });

    const streamId = await streamWithSubscriber();
    const destroyed = clientOf(1);
    const pending = destroyed.subscribe(streamId, () => {}).catch((e: unknown) => e);
    destroyed.destroy();
    expect(await pending).to.be.instanceOf(RelayUnreachableError);
  });
});
