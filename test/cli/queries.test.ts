import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { StreamPermission } from "../../sdk";
import { until } from "../relay/helpers";
import { type CliRelayChain, startCliRelayChain } from "./relayChain";

type Line = { streamId: string; partition: number; timestamp: number; sequenceNumber: number; publisher: string; content: unknown };

describe("keyway history, presence and stream --schema", function () {
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

  const streamForSubscriber = () => chain.streamFor(1);

  describe("keyway history", function () {
    it("prints the kept messages as verified JSON lines, oldest first or --reverse, at most --limit; exit 4 without Subscribe, 11 beyond the relay's limit", async function () {
      const streamId = await streamForSubscriber();
      // In plaintext: this publisher is gone before history is read, and nobody online would hold an encrypted stream's key.
      const published = await chain.keyway(["publish", streamId, "--encryption", "never"], { signer: 0, input: "1\n2\n3\n" });
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

  describe("keyway stream create|update --schema", function () {
    let dir: string;
    before(function () {
      dir = mkdtempSync(path.join(tmpdir(), "keyway-schema-"));
    });
    after(function () {
      rmSync(dir, { recursive: true, force: true });
    });

    function schemaFile(name: string, schema: unknown): string {
      const file = path.join(dir, name);
      writeFileSync(file, typeof schema === "string" ? schema : JSON.stringify(schema));
      return file;
    }

    it("sets the schema in the metadata; publish of content that breaks it exits 9 with the reason; an unusable schema exits 2 before any transaction", async function () {
      const reading = schemaFile("reading.json", { type: "object", required: ["t"], properties: { t: { type: "number" } } });
      const path_ = `/cli-schema/${Date.now()}`;
      const created = await chain.keyway(["stream", "create", path_, "--schema", reading, "--partitions", "2", "--json"], { signer: 0 });
      expect(created.code, created.stderr).to.equal(0);
      const { streamId } = JSON.parse(created.stdout);
      const ok = await chain.keyway(["publish", streamId], { signer: 0, input: '{"t":1}\n' });
      expect(ok.code, ok.stderr).to.equal(0);
      const refused = await chain.keyway(["publish", streamId], { signer: 0, input: '{"t":"hot"}\n' });
      expect(refused.code).to.equal(9);
      expect(refused.stderr).to.match(/^keyway: Stream message rejected \(schema\): .*\/t must be number\n$/);

      let deep: object = { type: "number" };
      for (let level = 0; level < 100; level++) deep = { properties: { a: deep } };
      for (const [name, content] of [["deep.json", deep], ["invalid.json", { type: "nonsense" }], ["notjson.json", "{nope"], ["redos.json", { pattern: "(a)\\1" }]] as const) {
        const result = await chain.keyway(["stream", "update", streamId, "--schema", schemaFile(name, content)], { signer: 0 });
        expect(result.code, `${name}: ${result.stderr}`).to.equal(2);
        expect(result.stderr.trimEnd().split("\n"), name).to.have.length(1);
      }
      const missing = await chain.keyway(["stream", "update", streamId], { signer: 0 });
      expect(missing.code).to.equal(2);

      // --schema alone keeps the rest of the metadata.
      const updated = await chain.keyway(["stream", "update", streamId, "--schema", schemaFile("string.json", { type: "string" })], { signer: 0 });
      expect(updated.code, updated.stderr).to.equal(0);
      const shown = await chain.keyway(["stream", "show", streamId, "--json"], { signer: 0 });
      expect(JSON.parse(JSON.parse(shown.stdout).metadata)).to.deep.equal({ partitions: 2, schema: { type: "string" } });
    });
  });
});
