import { expect } from "chai";
import { expectFailure, parseJson, startTestChain, type TestChain } from "./harness";

describe("keyway stream", function () {
  let chain: TestChain;
  let alice: TestChain["accounts"][number];
  let bob: TestChain["accounts"][number];
  let aliceId: string;

  before(async function () {
    chain = await startTestChain();
    [alice, bob] = chain.accounts;
    aliceId = alice.account.address.toLowerCase();
  });
  after(async function () {
    await chain?.stop();
  });

  async function metadataOf(streamId: string): Promise<string> {
    return parseJson<{ metadata: string }>(await chain.keyway(["stream", "show", streamId, "--json"])).metadata;
  }

  it("create prints the new id, transaction hash and block", async function () {
    const result = await chain.keyway(["stream", "create", "/sensors/temp", "--metadata", '{"unit": "C"}'], { signer: alice });
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stderr).to.equal("");
    expect(result.stdout).to.match(new RegExp(`^Created stream ${aliceId}/sensors/temp\\n  transaction: 0x[0-9a-f]{64}\\n  block:       \\d+\\n$`));
    expect(await metadataOf(`${aliceId}/sensors/temp`)).to.equal('{"unit":"C"}');
  });

  it("create --json", async function () {
    const result = parseJson<Record<string, unknown>>(await chain.keyway(["stream", "create", "/json", "--json"], { signer: alice }));
    expect(Object.keys(result)).to.have.members(["streamId", "transactionHash", "blockNumber"]);
    expect(result.streamId).to.equal(`${aliceId}/json`);
    expect(result.transactionHash).to.match(/^0x[0-9a-f]{64}$/);
    expect(result.blockNumber).to.be.a("number");
    expect(await metadataOf(`${aliceId}/json`)).to.equal("{}");
  });

  it("show prints the metadata and the permissions table, also for a checksummed id", async function () {
    const result = await chain.keyway(["stream", "show", `${alice.account.address}/sensors/temp`]);
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stdout.split("\n")).to.deep.equal([
      `stream:     ${aliceId}/sensors/temp`,
      `metadata:   {"unit":"C"}`,
      "partitions: 1",
      "",
      "HOLDER                                      PERMISSIONS                              EXPIRES",
      `${alice.account.address}  edit, delete, publish, subscribe, grant  never`,
      "",
    ]);
  });

  it("show --json", async function () {
    const result = parseJson(await chain.keyway(["stream", "show", `${aliceId}/sensors/temp`, "--json"]));
    expect(result).to.deep.equal({
      streamId: `${aliceId}/sensors/temp`,
      metadata: '{"unit":"C"}',
      partitions: 1,
      permissions: [{ userId: aliceId, permissions: ["edit", "delete", "publish", "subscribe", "grant"] }],
    });
  });

  it("create --partitions <n> merges the count into the metadata; show shows it", async function () {
    const created = await chain.keyway(["stream", "create", "/parts", "--metadata", '{"unit":"C"}', "--partitions", "3"], { signer: alice });
    expect(created.code, created.stderr).to.equal(0);
    expect(await metadataOf(`${aliceId}/parts`)).to.equal('{"unit":"C","partitions":3}');
    const shown = await chain.keyway(["stream", "show", `${aliceId}/parts`]);
    expect(shown.stdout.split("\n").slice(0, 3)).to.deep.equal([`stream:     ${aliceId}/parts`, `metadata:   {"unit":"C","partitions":3}`, "partitions: 3"]);
    expect(parseJson(await chain.keyway(["stream", "show", `${aliceId}/parts`, "--json"]))).to.include({ partitions: 3 });
    expect(parseJson(await chain.keyway(["stream", "create", "/parts-only", "--partitions", "100", "--json"], { signer: alice }))).to.include({ streamId: `${aliceId}/parts-only` });
    expect(await metadataOf(`${aliceId}/parts-only`)).to.equal('{"partitions":100}');
  });

  it("create --partitions refuses anything but a whole number from 1 to 100 (exit 2, one line), and so does update for a metadata partitions field", async function () {
    for (const bad of ["0", "101", "1.5", "-1", "abc", "", " 3", "0x3"]) {
      expectFailure(await chain.keyway(["stream", "create", `/bad-parts`, "--partitions", bad], { signer: alice }), 2, /--partitions must be an integer from 1 to 100/);
    }
    expectFailure(await chain.keyway(["stream", "create", "/bad-parts", "--metadata", '{"partitions":0}'], { signer: alice }), 2, /partitions must be an integer from 1 to 100/);
    expectFailure(await chain.keyway(["stream", "update", `${aliceId}/parts`, "--metadata", '{"partitions":"3"}'], { signer: alice }), 2, /partitions must be an integer from 1 to 100/);
    expectFailure(await chain.keyway(["stream", "show", `${aliceId}/bad-parts`]), 3, /Stream not found/);
  });

  it("update replaces the metadata (human and --json)", async function () {
    const human = await chain.keyway(["stream", "update", `${aliceId}/sensors/temp`, "--metadata", '{"unit":"K"}'], { signer: alice });
    expect(human.code, human.stderr).to.equal(0);
    expect(human.stdout).to.match(new RegExp(`^Updated the metadata of ${aliceId}/sensors/temp\\n  transaction: 0x[0-9a-f]{64}\\n`));
    expect(await metadataOf(`${aliceId}/sensors/temp`)).to.equal('{"unit":"K"}');

    const json = parseJson<Record<string, unknown>>(
      await chain.keyway(["stream", "update", `${aliceId}/sensors/temp`, "--metadata", "[1]", "--json"], { signer: alice }),
    );
    expect(json).to.include({ streamId: `${aliceId}/sensors/temp`, metadata: "[1]" });
    expect(json.transactionHash).to.match(/^0x[0-9a-f]{64}$/);
    expect(await metadataOf(`${aliceId}/sensors/temp`)).to.equal("[1]");
  });

  it("update without edit permission fails with exit 4 and changes nothing", async function () {
    const result = await chain.keyway(["stream", "update", `${aliceId}/sensors/temp`, "--metadata", "{}"], { signer: bob });
    expectFailure(result, 4, new RegExp(`${bob.account.address.toLowerCase()} does not have edit permission on ${aliceId}/sensors/temp`));
    expect(await metadataOf(`${aliceId}/sensors/temp`)).to.equal("[1]");
  });

  it("update and create reject metadata that is not JSON (exit 2)", async function () {
    expectFailure(await chain.keyway(["stream", "update", `${aliceId}/sensors/temp`, "--metadata", "{unit:C}"], { signer: alice }), 2, /not valid JSON/);
    expectFailure(await chain.keyway(["stream", "create", "/bad-meta", "--metadata", "nope"], { signer: alice }), 2, /not valid JSON/);
    expectFailure(await chain.keyway(["stream", "show", `${aliceId}/bad-meta`]), 3, /Stream not found/);
  });

  it("create rejects an existing stream (exit 8), a bad path (exit 2) and a missing key (exit 5)", async function () {
    expectFailure(await chain.keyway(["stream", "create", "/json"], { signer: alice }), 8, new RegExp(`Stream already exists: ${aliceId}/json`));
    expectFailure(await chain.keyway(["stream", "create", "no-slash"], { signer: alice }), 2, /Invalid stream id "no-slash"/);
    expectFailure(await chain.keyway(["stream", "create", "/a//b"], { signer: alice }), 2, /Invalid stream id/);
    expectFailure(await chain.keyway(["stream", "create", "/keyless"]), 5, /needs a signer|private key/);
    expectFailure(await chain.keyway(["stream", "show", `${aliceId}/keyless`]), 3, /Stream not found/);
  });

  it("show rejects a bad id (exit 2) and an unknown stream (exit 3)", async function () {
    expectFailure(await chain.keyway(["stream", "show", "sensors/temp"]), 2, /Invalid stream id "sensors\/temp"/);
    expectFailure(await chain.keyway(["stream", "show", "0x1234/x"]), 2, /Invalid stream id/);
    expectFailure(await chain.keyway(["stream", "show", `${aliceId}/nothing-here`]), 3, new RegExp(`Stream not found: ${aliceId}/nothing-here`));
  });

  it("delete needs delete permission (exit 4, nothing changed), then deletes (human and --json)", async function () {
    expectFailure(await chain.keyway(["stream", "delete", `${aliceId}/json`], { signer: bob }), 4, /does not have delete permission/);
    expect(await metadataOf(`${aliceId}/json`)).to.equal("{}");

    const human = await chain.keyway(["stream", "delete", `${aliceId}/json`], { signer: alice });
    expect(human.code, human.stderr).to.equal(0);
    expect(human.stdout).to.match(new RegExp(`^Deleted stream ${aliceId}/json\\n  transaction: 0x[0-9a-f]{64}\\n  block:       \\d+\\n$`));
    expectFailure(await chain.keyway(["stream", "show", `${aliceId}/json`]), 3, /Stream not found/);

    const json = parseJson<Record<string, unknown>>(await chain.keyway(["stream", "delete", `${aliceId}/sensors/temp`, "--json"], { signer: alice }));
    expect(json.streamId).to.equal(`${aliceId}/sensors/temp`);
    expect(json.transactionHash).to.match(/^0x[0-9a-f]{64}$/);
    expectFailure(await chain.keyway(["stream", "delete", `${aliceId}/sensors/temp`], { signer: alice }), 3, /Stream not found/);
  });
});
