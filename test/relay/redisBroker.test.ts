import { expect } from "chai";
import { Redis } from "ioredis";
import type { Broker, BrokerStatus } from "../../relay/broker";
import type { AcceptedMessage } from "../../relay/history";
import { createRedisBroker } from "../../relay/redisBroker";
import { startRedis, type TestRedis } from "../../scripts/clusterProcesses";

async function until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function entry(sequenceNumber: number): AcceptedMessage {
  return {
    message: { publisher: "0x0000000000000000000000000000000000000001", msgChainId: "chain", timestamp: 1, sequenceNumber },
    frame: Buffer.from(`frame ${sequenceNumber}`),
    acceptedAt: Date.now(),
  };
}

describe("relay/redisBroker", function () {
  this.timeout(60_000);
  let redis: TestRedis;
  let broker: Broker;
  let admin: Redis;

  before(async function () {
    redis = await startRedis();
    admin = new Redis(redis.url);
    admin.on("error", () => undefined); // it reconnects after each restart
  });
  afterEach(async function () {
    await broker?.close();
  });
  after(async function () {
    admin?.disconnect();
    await redis?.stop();
  });

  it("reports down when only its command connection drops, and up again only once it takes messages", async function () {
    broker = await createRedisBroker({ url: redis.url, count: 100, maxAgeMs: 60_000 });
    const statuses: boolean[] = [];
    broker.onStatus!(({ up }: BrokerStatus) => statuses.push(up));
    const delivered: string[] = [];
    broker.onMessage((_channel, { frame }) => delivered.push(frame.toString()));
    await broker.follow("s|0");
    await broker.publish("s|0", entry(0));
    // Pub/Sub connections are of type pubsub: this drops the command connection alone.
    expect(await admin.call("CLIENT", "KILL", "TYPE", "normal")).to.be.greaterThan(0);
    await until(() => statuses.includes(false), "the broker to report the loss");
    await until(() => statuses.at(-1) === true, "the broker to report it is back");
    await broker.publish("s|0", entry(1));
    await until(() => delivered.length === 2, "both messages delivered");
    expect(delivered).to.deep.equal(["frame 0", "frame 1"]);
    expect(statuses).to.deep.equal([true, false, true]);
  });

  it("after Redis restarts, reports up only once both connections are back: a publish right after it is taken", async function () {
    broker = await createRedisBroker({ url: redis.url, count: 100, maxAgeMs: 60_000 });
    const statuses: boolean[] = [];
    broker.onStatus!(({ up }: BrokerStatus) => statuses.push(up));
    for (let restart = 0; restart < 3; restart++) {
      const reported = statuses.length;
      // Down long enough that both connections back off to their longest retry delay, each on its own timer.
      await redis.stop();
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      await redis.restart();
      await until(() => statuses.length > reported && statuses.at(-1) === true, "the broker to report it is back");
      await broker.publish("s|0", entry(10 + restart));
    }
  });

  it("follows only the channels its relay serves: receives nothing else, and a reconnect reads back those alone, losing none of their messages", async function () {
    broker = await createRedisBroker({ url: redis.url, count: 100, maxAgeMs: 60_000 });
    const delivered: string[] = [];
    broker.onMessage((channel, { frame }) => delivered.push(`${channel} ${frame.toString()}`));
    await broker.follow("s|0");
    const other = await createRedisBroker({ url: redis.url, count: 100, maxAgeMs: 60_000 });
    try {
      other.onMessage(() => undefined);
      // Another relay's subscribers' traffic on 300 channels this relay does not serve.
      for (let n = 0; n < 300; n++) await other.publish(`x|${n}`, entry(n));
      // A channel served here, with nothing delivered on it yet.
      await broker.follow("t|0");
      await other.publish("s|0", entry(0));
      await until(() => delivered.length === 1, "the served channel's message");
      expect(broker.traffic!(), "Pub/Sub traffic: the served channel's message alone").to.deep.equal({ received: 1, unneeded: 0 });
      expect(await admin.call("CONFIG", "RESETSTAT")).to.equal("OK");
      // Both relays lose Pub/Sub; what is published meanwhile comes back through the catch-up.
      expect(await admin.call("CLIENT", "KILL", "TYPE", "pubsub")).to.be.greaterThan(0);
      await other.publish("s|0", entry(1)).catch(() => other.publish("s|0", entry(1)));
      await other.publish("t|0", entry(0)).catch(() => other.publish("t|0", entry(0)));
      await until(() => delivered.length === 3, "the messages published during the loss");
      expect(delivered).to.deep.equal(["s|0 frame 0", "s|0 frame 1", "t|0 frame 0"]);
      const stats = (await admin.call("INFO", "commandstats")) as string;
      const xranges = Number(/cmdstat_xrange:calls=(\d+)/.exec(stats)?.[1] ?? 0);
      expect(xranges, "streams read back after the reconnect").to.be.at.most(4);
      // Its last subscriber gone, a channel's messages no longer come.
      broker.unfollow("s|0");
      const shardSubscribers = async () => ((await admin.call("PUBSUB", "SHARDNUMSUB", "keyway:{s|0}:m")) as [string, number])[1];
      for (let tries = 0; (await shardSubscribers()) > 0; tries++) {
        if (tries > 100) throw new Error("still subscribed after unfollow");
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await other.publish("s|0", entry(2));
      await other.publish("t|0", entry(1));
      await until(() => delivered.length === 4, "the followed channel's message");
      expect(delivered.at(-1)).to.equal("t|0 frame 1");
      expect(broker.traffic!().unneeded).to.equal(0);
    } finally {
      await other.close();
    }
  });
});
