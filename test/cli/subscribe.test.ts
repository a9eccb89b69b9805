import { expect } from "chai";
import { findFreePort } from "../../scripts/localNode";
import { until } from "../relay/helpers";
import { expectFailure } from "./harness";
import { type CliRelayChain, startCliRelayChain } from "./relayChain";

type Line = { streamId: string; partition: number; timestamp: number; sequenceNumber: number; publisher: string; content: unknown };

describe("keyway subscribe", function () {
  let chain: CliRelayChain;
  let subscriberAddress: string;

  before(async function () {
    chain = await startCliRelayChain();
    subscriberAddress = chain.accounts[1].account.address.toLowerCase();
  });
  afterEach(async function () {
    await chain.stopAll();
  });
  after(async function () {
    await chain?.stop();
  });

  const streamForSubscriber = () => chain.streamFor(1, 2);

  it("prints one JSON line per verified message published by another process; revocation ends it with one line on stderr and exit 12", async function () {
    const streamId = await streamForSubscriber();
    // --from a moment ago: what is published before the subscription is live comes from the relay's history, without a gap.
    const subscriber = chain.start(["subscribe", streamId, "--from", String(Date.now() - 1)], { signer: 1 });
    const published = await chain.keyway(["publish", streamId, "--json"], { signer: 0, input: '{"t":1}\nhello\n[2]\n' });
    expect(published.code, published.stderr).to.equal(0);
    const signed = published.stdout.trimEnd().split("\n").map((line) => JSON.parse(line) as Line);

    await until(() => subscriber.stdoutLines().length === 3, `three lines (stderr: ${subscriber.stderr()})`);
    const lines = subscriber.stdoutLines().map((line) => JSON.parse(line) as Line);
    expect(lines).to.deep.equal([
      { streamId, partition: 0, timestamp: signed[0].timestamp, sequenceNumber: signed[0].sequenceNumber, publisher: signed[0].publisher, content: { t: 1 }, encrypted: true },
      { streamId, partition: 0, timestamp: signed[1].timestamp, sequenceNumber: signed[1].sequenceNumber, publisher: signed[1].publisher, content: "hello", encrypted: true },
      { streamId, partition: 0, timestamp: signed[2].timestamp, sequenceNumber: signed[2].sequenceNumber, publisher: signed[2].publisher, content: [2], encrypted: true },
    ]);

    const revoked = await chain.keyway(["permission", "revoke", streamId, subscriberAddress, "subscribe"], { signer: 0 });
    expect(revoked.code, revoked.stderr).to.equal(0);
    const result = await subscriber.exited;
    expect(result.code, result.stderr).to.equal(12);
    expect(result.stderr).to.equal("keyway: the relay ended the subscription: PERMISSION_REVOKED\n");
    expect(result.stdout.trimEnd().split("\n")).to.have.length(3);
  });

  it("replays from --from <timestamp>/<sequenceNumber> (exclusive) on the --partition asked, then goes live; exits 0 on SIGTERM", async function () {
    const streamId = await streamForSubscriber();
    // In plaintext: this publisher is gone before the subscriber starts, and nobody else online holds an encrypted stream's key
    // (test/relay/encryption.test.ts covers history with the publisher away and another reader online).
    const plain = ["--encryption", "never"];
    const published = await chain.keyway(["publish", streamId, "--json", "--partition", "1", ...plain], { signer: 0, input: "1\n2\n3\n" });
    const [first] = published.stdout.trimEnd().split("\n").map((line) => JSON.parse(line) as Line);
    const subscriber = chain.start(["subscribe", streamId, "--partition", "1", "--from", `${first.timestamp}/${first.sequenceNumber}`], { signer: 1 });
    await until(() => subscriber.stdoutLines().length === 2, `the replay (stderr: ${subscriber.stderr()})`);
    await chain.keyway(["publish", streamId, "--partition", "1", ...plain], { signer: 0, input: "4\n" });
    await chain.keyway(["publish", streamId, ...plain], { signer: 0, input: "0\n" }); // partition 0: not for this subscriber
    await until(() => subscriber.stdoutLines().length === 3, "the live message");
    subscriber.kill("SIGTERM");
    const result = await subscriber.exited;
    expect(result.code, result.stderr).to.equal(0);
    expect(subscriber.stdoutLines().map((line) => (JSON.parse(line) as Line).content)).to.deep.equal([2, 3, 4]);
    expect((JSON.parse(subscriber.stdoutLines()[0]) as Line).partition).to.equal(1);
  });

  it("is refused without the permission (exit 4), for a missing stream (exit 3), without a relay (exit 10), with a bad --from (exit 2)", async function () {
    const streamId = await streamForSubscriber();
    expectFailure(await chain.keyway(["subscribe", streamId], { signer: 2 }), 4, /subscribe permission/);
    expectFailure(await chain.keyway(["subscribe", streamId]), 4, /subscribe permission/); // anonymous: not public
    expectFailure(await chain.keyway(["subscribe", `${subscriberAddress}/missing`], { signer: 1 }), 3, /not found/i);
    const port = await findFreePort();
    expectFailure(await chain.keyway(["subscribe", streamId, "--relay-url", `ws://127.0.0.1:${port}`], { signer: 1 }), 10, /cannot reach the relay/);
    expectFailure(await chain.keyway(["subscribe", streamId, "--from", "yesterday-ish"], { signer: 1 }), 2, /--from/);
  });
});
