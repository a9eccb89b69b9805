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
});
