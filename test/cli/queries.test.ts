import { expect } from "chai";
import { StreamPermission } from "../../sdk";
import { createTestStream } from "../relay/helpers";
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
});
