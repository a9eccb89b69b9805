import { expect } from "chai";
import { startRedis, type TestRedis } from "../../scripts/clusterProcesses";
import { connect, type RelayOnChain } from "./fixtures";
import { contentsOf, createTestStream, publicStreamTestHooks, publisherOf, until, waitForContent } from "./helpers";

describe("relay: live messages only, and no publisher silences another", function () {
  let chain: RelayOnChain;
  let streamId: string;
  const relayWith = publicStreamTestHooks((started, stream) => ((chain = started), (streamId = stream)));

  it("refuses a publish dated 1970 or an hour ago as MESSAGE_REJECTED stale, delivered to nobody; takes one inside maxMessageAgeMs", async function () {
    const subscriber = await connect(chain.url);
    await subscriber.request({ type: "subscribe", streamId });
    const publisher = await connect(chain.url);
    for (const [what, at] of [["1970", 1_000], ["an hour ago", Date.now() - 3_600_000]] as const) {
      const old = await publisherOf(chain, streamId, chain.accounts[0], 0, () => at)({ old: what });
      expect(await publisher.request({ type: "publish", message: old }), what).to.include({ type: "error", code: "MESSAGE_REJECTED", reason: "stale" });
    }
    // The default window is 30 s: 20 s behind is inside it, even on a busy machine.
    const recent = await publisherOf(chain, streamId, chain.accounts[0], 0, () => Date.now() - 20_000)({ recent: true });
    expect(await publisher.request({ type: "publish", message: recent })).to.include({ type: "published" });
    await waitForContent(subscriber, streamId, { recent: true });
    expect(contentsOf(subscriber, streamId)).to.deep.equal([{ recent: true }]);
  });

  it("a publisher's flood of new chains dated 9 s ahead on its own stream leaves another's next messages accepted, and its replays refused", async function () {
    const relay = await relayWith({ maxChains: 8 });
    const attacker = chain.accounts[1];
    const ownStream = await createTestStream(chain.clientOf(1));
    const subscriber = await connect(relay.url);
    await subscriber.request({ type: "subscribe", streamId });
    const victimSocket = await connect(relay.url);
    const victim = publisherOf(chain, streamId, chain.accounts[0]);
    const first = await victim({ victim: 1 });
    expect(await victimSocket.request({ type: "publish", message: first })).to.include({ type: "published" });

    const flooder = await connect(relay.url);
    for (let i = 0; i < 12; i++) {
      const flood = await publisherOf(chain, ownStream, attacker, 0, () => Date.now() + 9_000)({ flood: i });
      expect(await flooder.request({ type: "publish", message: flood })).to.include({ type: "published" });
    }

    const next = await victim({ victim: 2 });
    expect(await victimSocket.request({ type: "publish", message: next }), "on its existing chain").to.include({ type: "published" });
    const onNewChain = await publisherOf(chain, streamId, chain.accounts[0])({ victim: 3 });
    expect(await victimSocket.request({ type: "publish", message: onNewChain }), "on a new chain").to.include({ type: "published" });
    // The first chain was forgotten again under the flood? Either way its first message is no longer news.
    for (let i = 12; i < 24; i++) {
      const flood = await publisherOf(chain, ownStream, attacker, 0, () => Date.now() + 9_000)({ flood: i });
      await flooder.request({ type: "publish", message: flood });
    }
    expect(await victimSocket.request({ type: "publish", message: first }), "a replay on the chain forgotten, then tracked afresh").to.include({ type: "error", code: "MESSAGE_REJECTED", reason: "stale" });
    await waitForContent(subscriber, streamId, { victim: 3 });
    expect(contentsOf(subscriber, streamId)).to.deep.equal([{ victim: 1 }, { victim: 2 }, { victim: 3 }]);
  });

  describe("in a cluster", function () {
    let redis: TestRedis;
    before(async function () {
      redis = await startRedis();
    });
    after(async function () {
      await redis?.stop();
    });

    it("refuses on relay 2 a message relay 1 accepted, as duplicate, even with a tiny historyMaxAgeMs", async function () {
      const [one, two] = [await relayWith({ redisUrl: redis.url, historyMaxAgeMs: 1 }), await relayWith({ redisUrl: redis.url, historyMaxAgeMs: 1 })];
      const message = await publisherOf(chain, streamId, chain.accounts[0])({ once: true });
      const first = await connect(one.url);
      expect(await first.request({ type: "publish", message })).to.include({ type: "published" });
      const acceptedBy = Date.now();
      await until(() => Date.now() > acceptedBy + 5, "the history's age bound to pass");
      const second = await connect(two.url);
      expect(await second.request({ type: "publish", message })).to.include({ type: "error", code: "MESSAGE_REJECTED", reason: "duplicate" });
    });
  });
});
