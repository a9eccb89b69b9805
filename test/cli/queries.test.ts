import { expect } from "chai";
import { StreamPermission } from "../../sdk";
import { createTestStream, until } from "../relay/helpers";
import { type CliRelayChain, startCliRelayChain } from "./relayChain";

type Line = { streamId: string; partition: number; timestamp: number; sequenceNumber: number; publisher: string; content: unknown };

describe("keyway history and presence", function () {
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

  async function streamForSubscriber(): Promise<string> {
    const owner = chain.clientOf(0);
    const streamId = await createTestStream(owner);
    await owner.grantPermissions(streamId, { userId: subscriberAddress, permissions: [StreamPermission.SUBSCRIBE] });
    return streamId;
  }

  describe("keyway history", function () {
    it("prints the kept messages as verified JSON lines, oldest first or --reverse, at most --limit; exit 4 without Subscribe, 11 beyond the relay's limit", async function () {
      const streamId = await streamForSubscriber();
      const published = await chain.keyway(["publish", streamId], { signer: 0, input: "1\n2\n3\n" });
      expect(published.code, published.stderr).to.equal(0);
      const contents = async (args: string[]) => {
        const result = await chain.keyway(["history", streamId, ...args], { signer: 1 });
        expect(result.code, result.stderr).to.equal(0);
        return result.stdout.trimEnd().split("\n").map((line) => (JSON.parse(line) as Line).content);
      };
      expect(await contents([])).to.deep.equal([1, 2, 3]);
      expect(await contents(["--reverse", "--limit", "2"])).to.deep.equal([3, 2]);

      const refused = await chain.keyway(["history", streamId], { signer: 2 });
      expect(refused.code, refused.stderr).to.equal(4);
      expect(refused.stderr.trimEnd().split("\n")).to.have.length(1);
      const tooMany = await chain.keyway(["history", streamId, "--limit", "1000"], { signer: 1 });
      expect(tooMany.code, tooMany.stderr).to.equal(11);
      const zero = await chain.keyway(["history", streamId, "--limit", "0"], { signer: 1 });
      expect(zero.code, zero.stderr).to.equal(2);
    });
  });

  describe("keyway presence and subscribe --join-leave", function () {
    it("subscribe --join-leave prints join and leave lines; presence lists who is subscribed (--json), exit 4 without Subscribe", async function () {
      const streamId = await streamForSubscriber();
      await chain.clientOf(0).grantPermissions(streamId, { userId: chain.accounts[2].account.address, permissions: [StreamPermission.SUBSCRIBE] });
      const watcher = chain.start(["subscribe", streamId, "--join-leave"], { signer: 1 });
      // The visitor comes once the watcher's subscription is live: a join before it is not the watcher's to see.
      await until(async () => (await chain.keyway(["presence", streamId], { signer: 1 })).stdout.startsWith("1 subscribed"), "the watcher subscribed");
      const visitor = chain.start(["subscribe", streamId], { signer: 2 });
      const visitorAddress = chain.accounts[2].account.address.toLowerCase();
      const lines = () => watcher.stdoutLines().map((line) => JSON.parse(line) as Record<string, unknown>);
      await until(() => lines().some((line) => line.event === "join" && line.address === visitorAddress), `a join line (stderr: ${watcher.stderr()})`);

      const shown = await chain.keyway(["presence", streamId, "--json"], { signer: 3 });
      expect(shown.code, shown.stderr).to.equal(4);
      const listed = await chain.keyway(["presence", streamId, "--json"], { signer: 2 });
      expect(listed.code, listed.stderr).to.equal(0);
      const answer = JSON.parse(listed.stdout);
      expect(answer).to.include({ streamId, partition: 0, count: 2 });
      expect(answer.clients.map(({ address }: { address: string }) => address).sort()).to.deep.equal([subscriberAddress, visitorAddress].sort());
      const human = await chain.keyway(["presence", streamId], { signer: 2 });
      expect(human.stdout).to.match(/^2 subscribed \(0 anonymous\)\n/);

      visitor.kill();
      await visitor.exited;
      await until(() => lines().some((line) => line.event === "leave" && line.address === visitorAddress), "a leave line");
      expect(lines().filter((line) => line.address === visitorAddress)).to.deep.equal([
        { event: "join", streamId, partition: 0, address: visitorAddress },
        { event: "leave", streamId, partition: 0, address: visitorAddress },
      ]);
    });
  });
});
