import { expect } from "chai";
import { WebSocketServer } from "ws";
import { InvalidArgumentError, KeywayClient, type KeywayClientOptions, MessageRejectedError, StreamPermission, UnauthorizedError } from "../../../sdk";
import { type RelayOnChain, startRelayOnChain } from "../../relay/fixtures";
import { createTestStream, until } from "../../relay/helpers";

describe("SDK: history and presence queries against a live relay", function () {
  let chain: RelayOnChain;
  let owner: KeywayClient;
  let clients: KeywayClient[] = [];
  const address = (index: number) => chain.accounts[index].account.address.toLowerCase();

  function clientOf(index: number | undefined, options: Partial<KeywayClientOptions> = {}): KeywayClient {
    const client = new KeywayClient({
      rpcUrl: chain.rpcUrl,
      registryAddress: chain.registryAddress,
      ...(index !== undefined && { privateKey: chain.accounts[index].privateKey }),
      relayUrl: chain.url,
      pollingInterval: 200,
      ...options,
    });
    clients.push(client);
    return client;
  }

  before(async function () {
    chain = await startRelayOnChain();
    owner = chain.clientOf(0);
  });
  afterEach(function () {
    clients.forEach((client) => client.destroy());
    clients = [];
  });
  after(async function () {
    await chain?.stop();
  });

  describe("client.history", function () {
    it("reads the kept messages, verified, oldest first or newest first, at most limit, after from", async function () {
      const streamId = await createTestStream(owner);
      await owner.grantPermissions(streamId, { userId: address(1), permissions: [StreamPermission.SUBSCRIBE] });
      const publisher = clientOf(0);
      const sent = [];
      for (let n = 0; n < 5; n++) sent.push(await publisher.publish(streamId, { n }));
      const reader = clientOf(1);
      const ns = async (options: Parameters<KeywayClient["history"]>[1]) => (await reader.history(streamId, options)).map(({ content }) => (content as { n: number }).n);
      expect(await ns({ limit: 10 })).to.deep.equal([0, 1, 2, 3, 4]);
      expect(await ns({ limit: 3, reverse: true })).to.deep.equal([4, 3, 2]);
      expect(await ns({ limit: 10, from: { timestamp: sent[2].timestamp, sequenceNumber: sent[2].sequenceNumber } })).to.deep.equal([3, 4]);
      const [first] = await reader.history(streamId, { limit: 1 });
      expect(first.metadata).to.include({ streamId, partition: 0, publisherId: address(0), timestamp: sent[0].timestamp, signature: sent[0].signature });
    });

    it("is refused without Subscribe (UnauthorizedError) and checks its arguments before any request", async function () {
      const streamId = await createTestStream(owner);
      const outsider = clientOf(2);
      await expect(outsider.history(streamId, { limit: 5 })).to.be.rejectedWith(UnauthorizedError);
      await expect(clientOf(undefined).history(streamId, { limit: 5 })).to.be.rejectedWith(UnauthorizedError);
      for (const options of [{ limit: 0 }, { limit: 1.5 }, { limit: 5, partition: -1 }, { limit: 5, from: { timestamp: -1, sequenceNumber: 0 } }]) {
        await expect(outsider.history(streamId, options), JSON.stringify(options)).to.be.rejectedWith(InvalidArgumentError);
      }
      // The relay's bound (maxHistoryLimit, 100 by default): its INVALID_REQUEST, typed.
      await expect(clientOf(0).history(streamId, { limit: 101 })).to.be.rejectedWith(/limit must be an integer from 1 to 100/);
    });

    it("verifies each message itself: a relay answering a tampered message gets MessageRejectedError", async function () {
      const streamId = await createTestStream(owner, { publicSubscribe: true });
      const genuine = await clientOf(0).publish(streamId, { n: 1 });
      const tampered = { ...genuine, content: "0x7b226e223a327d" }; // {"n":2}, not what was signed
      const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
      server.on("connection", (socket) => {
        socket.send(JSON.stringify({ type: "hello", protocol: 1, chainId: chain.chainId, registry: chain.registryAddress, nonce: "abcdefgh12345678" }));
        socket.on("message", (data) => {
          const { id } = JSON.parse(data.toString());
          socket.send(JSON.stringify({ type: "history", id, messages: [tampered] }));
        });
      });
      await new Promise((resolve) => server.once("listening", resolve));
      try {
        const reader = clientOf(undefined, { relayUrl: `ws://127.0.0.1:${(server.address() as { port: number }).port}` });
        await expect(reader.history(streamId, { limit: 5 })).to.be.rejectedWith(MessageRejectedError);
      } finally {
        server.clients.forEach((socket) => socket.terminate());
        await new Promise((resolve) => server.close(resolve));
      }
    });
  });

  describe("client.presence and join/leave events", function () {
    it("presence lists the signed-in subscribers and counts anonymous ones; refused without Subscribe", async function () {
      const streamId = await createTestStream(owner, { publicSubscribe: true });
      await clientOf(1).subscribe(streamId, () => undefined);
      const twice = clientOf(2);
      await twice.subscribe(streamId, () => undefined);
      await twice.subscribe({ streamId, resend: { from: { timestamp: 0, sequenceNumber: 0 } } }, () => undefined); // same connection: one relay subscription
      await clientOf(undefined).subscribe(streamId, () => undefined);
      const answer = await clientOf(3).presence(streamId);
      expect(answer).to.include({ streamId, partition: 0, count: 3 });
      expect(answer.clients.map(({ address }) => address).sort()).to.deep.equal([address(1), address(2)].sort());
      const privateStream = await createTestStream(owner);
      await expect(clientOf(3).presence(privateStream)).to.be.rejectedWith(UnauthorizedError);
      await expect(clientOf(3).presence(streamId, { partition: -1 })).to.be.rejectedWith(InvalidArgumentError);
    });

    it("a subscription with joinLeave emits join and leave, in order with its messages; one without emits none", async function () {
      const streamId = await createTestStream(owner, { publicSubscribe: true });
      const events: string[] = [];
      const quietEvents: string[] = [];
      const watcher = clientOf(3);
      const watching = await watcher.subscribe({ streamId, joinLeave: true }, (content) => void events.push(`message ${JSON.stringify(content)}`));
      watching.on("join", (who) => events.push(`join ${who}`)).on("leave", (who) => events.push(`leave ${who}`));
      const quiet = await clientOf(4).subscribe(streamId, () => undefined);
      quiet.on("join", (who) => quietEvents.push(`join ${who}`));
      const visitor = clientOf(1);
      const visit = await visitor.subscribe(streamId, () => undefined);
      await until(() => events.includes(`join ${address(1)}`), "#1 joins");
      await visit.unsubscribe();
      await until(() => events.includes(`leave ${address(1)}`), "#1 leaves");
      await clientOf(0).publish(streamId, "after");
      await until(() => events.includes('message "after"'), "the message");
      expect(events.filter((event) => !event.endsWith(address(4)))).to.deep.equal([`join ${address(1)}`, `leave ${address(1)}`, 'message "after"']);
      expect(quietEvents).to.deep.equal([]);
      // A second subscription of the same client that wants joinLeave where the first did not: it gets them.
      const late: string[] = [];
      const lateClient = clientOf(5);
      await lateClient.subscribe(streamId, () => undefined);
      (await lateClient.subscribe({ streamId, joinLeave: true }, () => undefined)).on("join", (who) => late.push(who));
      await clientOf(2).subscribe(streamId, () => undefined);
      await until(() => late.includes(address(2)), "the late joinLeave subscription hears #2 join");
      await expect(watcher.subscribe({ streamId, joinLeave: "yes" as unknown as boolean }, () => undefined)).to.be.rejectedWith(InvalidArgumentError);
    });
  });
});
