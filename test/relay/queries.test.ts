import { expect } from "chai";
import type { Address } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { type AccessGrant, type Delegation, randomSalt, signAccessGrant, signDelegation, StreamPermission, SUBSCRIBE_BIT } from "../../sdk";
import { closeAllClients, connect, type Frame, type RawClient, type RelayOnChain, startRelayOnChain } from "./fixtures";
import { createTestStream, domainOf, publisherOf } from "./helpers";

const inSeconds = (seconds: number) => Math.floor(Date.now() / 1000) + seconds;
const contentOf = (message: Frame) => JSON.parse(Buffer.from(message.content.slice(2), "hex").toString("utf8"));

/** The queries Subscribe holders may make without subscribing (issue 22), each with its smallest valid frame. */
const QUERIES = {
  history: (streamId: string) => ({ type: "history", streamId, limit: 10 }),
  presence: (streamId: string) => ({ type: "presence", streamId }),
};

/** The join and leave pushes a client received, as `join 0x…`. */
const changesOf = (client: RawClient) => client.frames.filter((frame) => frame.type === "join" || frame.type === "leave").map((frame) => `${frame.type} ${frame.address}`);

describe("relay: history and presence queries", function () {
  let chain: RelayOnChain;
  const address = (index: number) => chain.accounts[index].account.address.toLowerCase() as Address;

  before(async function () {
    chain = await startRelayOnChain({ maxHistoryLimit: 50 });
  });
  afterEach(closeAllClients);
  after(async function () {
    await chain?.stop();
  });

  async function signedIn(index: number): Promise<RawClient> {
    const client = await connect(chain.url);
    expect(await client.signIn(chain.accounts[index])).to.include({ type: "authenticated" });
    return client;
  }

  /** A private stream of #0 where `holders` hold Subscribe. */
  async function privateStream(...holders: number[]): Promise<string> {
    const owner = chain.clientOf(0);
    const streamId = await createTestStream(owner, { partitions: 2 });
    for (const holder of holders) await owner.grantPermissions(streamId, { userId: address(holder), permissions: [StreamPermission.SUBSCRIBE] });
    return streamId;
  }

  for (const [type, frameOf] of Object.entries(QUERIES)) {
    describe(`${type}: allowed to Subscribe holders only`, function () {
      it("refuses an anonymous connection and a signed-in address without Subscribe, allows a direct holder", async function () {
        const streamId = await privateStream(1);
        const anonymous = await connect(chain.url);
        expect(await anonymous.request(frameOf(streamId))).to.include({ type: "error", code: "UNAUTHORIZED" });
        expect(await (await signedIn(2)).request(frameOf(streamId))).to.include({ type: "error", code: "UNAUTHORIZED" });
        expect(await (await signedIn(1)).request(frameOf(streamId))).to.include({ type });
      });

      it("allows anyone on a public stream; a missing stream is STREAM_NOT_FOUND", async function () {
        const streamId = await createTestStream(chain.clientOf(0), { publicSubscribe: true });
        expect(await (await connect(chain.url)).request(frameOf(streamId))).to.include({ type });
        expect(await (await connect(chain.url)).request(frameOf(`${address(0)}/no-such-stream`))).to.include({ type: "error", code: "STREAM_NOT_FOUND" });
      });

      it("allows a session key whose delegation lists the stream with Subscribe, refuses one whose delegation does not", async function () {
        const streamId = await privateStream(1);
        const other = await privateStream(1);
        const key = privateKeyToAccount(generatePrivateKey());
        const unsigned: Delegation = { delegate: key.address.toLowerCase() as Address, streamIds: [streamId], permissions: SUBSCRIBE_BIT, expiresAt: inSeconds(3600), salt: randomSalt() };
        const delegation = await signDelegation(unsigned, { signer: chain.accounts[1].privateKey, domain: domainOf(chain) });
        const session = await connect(chain.url);
        expect(await session.signIn({ account: key }, {}, { account: key }, { delegation })).to.include({ type: "authenticated" });
        expect(await session.request(frameOf(streamId))).to.include({ type });
        expect(await session.request(frameOf(other))).to.include({ type: "error", code: "UNAUTHORIZED" });
      });

      it("allows by an access grant to the signed-in address; refuses a grant to someone else and a malformed one", async function () {
        const owner = chain.clientOf(0);
        const streamId = await createTestStream(owner);
        await owner.grantPermissions(streamId, { userId: address(2), permissions: [StreamPermission.GRANT] });
        const unsigned: AccessGrant = { grantee: address(3), streamId, permissions: SUBSCRIBE_BIT, expiresAt: inSeconds(3600), salt: randomSalt() };
        const grant = await signAccessGrant(unsigned, { signer: chain.accounts[2].privateKey, domain: domainOf(chain) });
        expect(await (await signedIn(3)).request(frameOf(streamId))).to.include({ type: "error", code: "UNAUTHORIZED" });
        expect(await (await signedIn(3)).request({ ...frameOf(streamId), grant })).to.include({ type });
        expect(await (await signedIn(4)).request({ ...frameOf(streamId), grant })).to.include({ type: "error", code: "UNAUTHORIZED" });
        expect(await (await signedIn(3)).request({ ...frameOf(streamId), grant: { ...grant, signature: "0x12" } })).to.include({ type: "error", code: "UNAUTHORIZED" });
      });

      it("refuses malformed fields with INVALID_REQUEST, each", async function () {
        const streamId = await createTestStream(chain.clientOf(0), { publicSubscribe: true });
        const client = await connect(chain.url);
        const bad: Frame[] = [
          { streamId: 7 },
          { streamId: "not a stream id" },
          { partition: -1 },
          { partition: 1.5 },
          { partition: "0" },
          { partition: 1 }, // beyond the stream's single partition
          ...(type === "history"
            ? [{ limit: 0 }, { limit: 51 }, { limit: 2.5 }, { limit: "10" }, { limit: undefined }, { reverse: "yes" }, { from: { timestamp: -1, sequenceNumber: 0 } }, { from: 5 }]
            : []),
        ];
        for (const fields of bad) {
          const reply = await client.request({ ...frameOf(streamId), ...fields });
          expect(reply, JSON.stringify(fields)).to.include({ type: "error", code: "INVALID_REQUEST" });
        }
      });
    });
  }

  describe("history", function () {
    it("answers the kept messages oldest first, or newest first with reverse, at most limit, after from", async function () {
      const streamId = await createTestStream(chain.clientOf(0), { publicSubscribe: true, partitions: 2 });
      const publisher = await connect(chain.url);
      const sign = publisherOf(chain, streamId, chain.accounts[0]);
      const sent: Frame[] = [];
      for (let n = 0; n < 6; n++) {
        const message = await sign({ n });
        sent.push(message);
        expect(await publisher.request({ type: "publish", message })).to.include({ type: "published" });
      }
      const reader = await connect(chain.url);
      const ns = async (fields: Frame) => {
        const reply = await reader.request({ type: "history", streamId, ...fields });
        expect(reply).to.include({ type: "history" });
        return (reply.messages as Frame[]).map((message) => contentOf(message).n);
      };
      expect(await ns({ limit: 50 })).to.deep.equal([0, 1, 2, 3, 4, 5]);
      expect(await ns({ limit: 2 })).to.deep.equal([0, 1]);
      expect(await ns({ limit: 2, reverse: true })).to.deep.equal([5, 4]);
      expect(await ns({ limit: 50, reverse: true })).to.deep.equal([5, 4, 3, 2, 1, 0]);
      const { timestamp, sequenceNumber } = sent[3];
      expect(await ns({ limit: 50, from: { timestamp, sequenceNumber } })).to.deep.equal([4, 5]);
      expect(await ns({ limit: 1, from: { timestamp, sequenceNumber }, reverse: true })).to.deep.equal([5]);
      expect(await ns({ limit: 50, partition: 1 })).to.deep.equal([]);
      // Exactly as published, signature and all; and the querying connection was not subscribed.
      const reply = await reader.request({ type: "history", streamId, limit: 1 });
      expect(reply.messages[0]).to.deep.equal(JSON.parse(JSON.stringify(sent[0])));
      expect(reader.frames.filter((frame) => frame.type === "message")).to.deep.equal([]);
    });
  });

  describe("presence and join/leave", function () {
    /** A subscriber of the stream: a connection signed in as `index` (anonymous with undefined), subscribed. */
    async function subscriber(streamId: string, index?: number, fields: Frame = {}): Promise<RawClient> {
      const client = index === undefined ? await connect(chain.url) : await signedIn(index);
      expect(await client.request({ type: "subscribe", streamId, ...fields })).to.include({ type: "subscribed" });
      return client;
    }

    const clientsOf = (reply: Frame) => [...reply.clients].sort((a: Frame, b: Frame) => a.address.localeCompare(b.address));

    it("lists the signed-in subscribers of the partition with their connections, and counts anonymous ones", async function () {
      const streamId = await createTestStream(chain.clientOf(0), { publicSubscribe: true, partitions: 2 });
      await subscriber(streamId, 1);
      await subscriber(streamId, 1);
      await subscriber(streamId, 2);
      await subscriber(streamId);
      await subscriber(streamId, 3, { partition: 1 });
      const reply = await (await connect(chain.url)).request({ type: "presence", streamId });
      expect(reply).to.include({ type: "presence", streamId, partition: 0, count: 4 });
      expect(clientsOf(reply)).to.deep.equal([{ address: address(1), connections: 2 }, { address: address(2), connections: 1 }].sort((a, b) => a.address.localeCompare(b.address)));
      const other = await (await connect(chain.url)).request({ type: "presence", streamId, partition: 1 });
      expect(other).to.include({ count: 1 });
      expect(other.clients).to.deep.equal([{ address: address(3), connections: 1 }]);
    });

    it("pushes join on an address's first subscription and leave on its last, once each, to joinLeave subscriptions only; anonymous ones are not announced", async function () {
      const streamId = await privateStream(1, 2, 3);
      const watcher = await subscriber(streamId, 3, { joinLeave: true });
      const quiet = await subscriber(streamId, 2);
      const first = await subscriber(streamId, 1);
      await watcher.waitFor((frame) => frame.type === "join" && frame.address === address(1), "#1 joins");
      const second = await subscriber(streamId, 1);
      expect(await first.request({ type: "unsubscribe", streamId })).to.include({ type: "unsubscribed" });
      await second.close();
      await watcher.waitFor((frame) => frame.type === "leave" && frame.address === address(1), "#1 leaves");
      // Its second connection neither joined nor left: one join, one leave, with the stream and partition.
      expect(changesOf(watcher).filter((change) => change.endsWith(address(1)))).to.deep.equal([`join ${address(1)}`, `leave ${address(1)}`]);
      expect(watcher.frames.find((frame) => frame.type === "join" && frame.address === address(1))).to.deep.equal({ type: "join", streamId, partition: 0, address: address(1) });
      expect(changesOf(quiet)).to.deep.equal([]);
      expect((await watcher.request({ type: "presence", streamId })).clients.map((client: Frame) => client.address).sort()).to.deep.equal([address(2), address(3)].sort());
    });

    it("a revoked subscriber leaves; a re-auth as another address moves the subscription's presence", async function () {
      const owner = chain.clientOf(0);
      const streamId = await createTestStream(owner, { publicSubscribe: true });
      await owner.grantPermissions(streamId, { userId: address(1), permissions: [StreamPermission.SUBSCRIBE] });
      const watcher = await subscriber(streamId, undefined, { joinLeave: true });
      await subscriber(streamId, 4);
      await watcher.waitFor((frame) => frame.type === "join" && frame.address === address(4), "#4 joins");
      // Re-signing in as #5 on the same connection: #4 leaves, #5 joins (the public still allows the subscription).
      const moving = await subscriber(streamId, 1);
      await watcher.waitFor((frame) => frame.type === "join" && frame.address === address(1), "#1 joins");
      expect(await moving.signIn(chain.accounts[5])).to.include({ type: "authenticated" });
      await watcher.waitFor((frame) => frame.type === "join" && frame.address === address(5), "#5 joins");
      expect(changesOf(watcher).slice(-2)).to.deep.equal([`leave ${address(1)}`, `join ${address(5)}`]);
      // Revoking the public's Subscribe ends #4's and #5's subscriptions (and the anonymous watcher's own).
      const revokedWatcher = await subscriber(streamId, 1, { joinLeave: true });
      await owner.revokePermissions(streamId, { public: true, permissions: [StreamPermission.SUBSCRIBE] });
      await revokedWatcher.waitFor((frame) => frame.type === "leave" && frame.address === address(4), "#4 leaves");
      await revokedWatcher.waitFor((frame) => frame.type === "leave" && frame.address === address(5), "#5 leaves");
      expect((await revokedWatcher.request({ type: "presence", streamId })).clients).to.deep.equal([{ address: address(1), connections: 1 }]);
    });

    it("refuses a joinLeave that is not a boolean", async function () {
      const streamId = await createTestStream(chain.clientOf(0), { publicSubscribe: true });
      const reply = await (await connect(chain.url)).request({ type: "subscribe", streamId, joinLeave: "yes" });
      expect(reply).to.include({ type: "error", code: "INVALID_REQUEST" });
    });
  });
});
