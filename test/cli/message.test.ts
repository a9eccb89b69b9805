import { expect } from "chai";
import { expectFailure, startTestChain, type TestChain } from "./harness";

type Signed = Record<string, unknown> & { signature: string; content: string; sequenceNumber: number; timestamp: number; publisher: string };
type Verdict = { line: number; valid: boolean; reason?: string; publisher?: string; gap?: unknown };

const SIGNED_FIELDS = [
  "streamId", "partition", "timestamp", "sequenceNumber", "publisher", "msgChainId",
  "prevTimestamp", "prevSequenceNumber", "contentType", "content", "signature",
];

function jsonLines<T>(text: string): T[] {
  return text.trimEnd().split("\n").map((line) => JSON.parse(line) as T);
}

describe("keyway message", function () {
  let chain: TestChain;
  let alice: TestChain["accounts"][number];
  let bob: TestChain["accounts"][number];
  let streamId: string;

  before(async function () {
    chain = await startTestChain();
    [alice, bob] = chain.accounts;
    streamId = `${alice.account.address.toLowerCase()}/telemetry`;
    expect((await chain.keyway(["stream", "create", "/telemetry"], { signer: alice })).code).to.equal(0);
  });
  after(async function () {
    await chain?.stop();
  });

  async function sign(input: string, signer = alice): Promise<string[]> {
    const result = await chain.keyway(["message", "sign", streamId], { signer, input });
    expect(result.code, result.stderr).to.equal(0);
    return result.stdout.trimEnd().split("\n");
  }

  it("sign writes one signed message per JSON line of stdin, chained, skipping blank lines", async function () {
    const lines = await sign('{"temperature":21.5}\n\n[1, 2]\n"text"\n');
    expect(lines).to.have.length(3);
    const messages = lines.map((line) => JSON.parse(line) as Signed);
    for (const message of messages) {
      expect(Object.keys(message)).to.deep.equal(SIGNED_FIELDS);
      expect(message).to.include({ streamId, partition: 0, publisher: alice.account.address.toLowerCase(), contentType: "application/json" });
      expect(message.signature).to.match(/^0x[0-9a-f]{130}$/);
    }
    expect(Buffer.from(messages[0].content.slice(2), "hex").toString()).to.equal('{"temperature":21.5}');
    expect(Buffer.from(messages[1].content.slice(2), "hex").toString()).to.equal("[1,2]");
    expect(messages[0].prevTimestamp).to.equal(0);
    expect([messages[1].prevTimestamp, messages[1].prevSequenceNumber]).to.deep.equal([messages[0].timestamp, messages[0].sequenceNumber]);
    expect(new Set(messages.map((m) => m.msgChainId)).size).to.equal(1);
  });

  it("verify prints a verdict per line (human and --json) and exits 0 when all are valid", async function () {
    const signed = (await sign('{"a":1}\n{"a":2}\n')).join("\n");
    const human = await chain.keyway(["message", "verify", streamId], { input: signed });
    expect(human.code, human.stderr).to.equal(0);
    const rows = human.stdout.trimEnd().split("\n");
    expect(rows).to.have.length(2);
    for (const [i, row] of rows.entries()) {
      expect(row).to.match(new RegExp(`^valid    line ${i + 1}  ${alice.account.address}  \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z #\\d+$`));
    }
    const json = await chain.keyway(["message", "verify", streamId, "--json"], { input: signed });
    expect(json.code, json.stderr).to.equal(0);
    expect(jsonLines<Verdict>(json.stdout).map(({ line, valid, publisher }) => ({ line, valid, publisher }))).to.deep.equal([
      { line: 1, valid: true, publisher: alice.account.address.toLowerCase() },
      { line: 2, valid: true, publisher: alice.account.address.toLowerCase() },
    ]);
  });

  it("verify rejects tampered, duplicate, malformed, unsigned and foreign-stream messages, reports gaps, and exits 9", async function () {
    const [first, second, third] = (await sign("1\n2\n3\n")).map((line) => JSON.parse(line) as Signed);
    const tampered = { ...second, content: "0x32" + "00" };
    const foreign = { ...first, streamId: `${alice.account.address.toLowerCase()}/other` };
    const input = [first, tampered, first, third, foreign].map((m) => JSON.stringify(m)).concat("not json", '{"streamId":1}').join("\n");
    const result = await chain.keyway(["message", "verify", streamId, "--json"], { input });
    expect(result.code).to.equal(9);
    expect(result.stderr).to.equal("keyway: 5 message(s) failed verification\n");
    const verdicts = jsonLines<Verdict>(result.stdout);
    expect(verdicts.map(({ line, valid, reason }) => ({ line, valid, reason }))).to.deep.equal([
      { line: 1, valid: true, reason: undefined },
      { line: 2, valid: false, reason: "invalid-signature" },
      { line: 3, valid: false, reason: "duplicate" },
      { line: 4, valid: true, reason: undefined },
      { line: 5, valid: false, reason: "wrong-stream" },
      { line: 6, valid: false, reason: "malformed" },
      { line: 7, valid: false, reason: "unsigned" },
    ]);
    // The second message never got through, so the third arrives after a gap.
    expect(verdicts[3].gap).to.deep.equal({
      from: { timestamp: first.timestamp, sequenceNumber: first.sequenceNumber },
      to: { timestamp: second.timestamp, sequenceNumber: second.sequenceNumber },
    });

    const human = await chain.keyway(["message", "verify", streamId], { input });
    expect(human.code).to.equal(9);
    const rows = human.stdout.trimEnd().split("\n");
    expect(rows[1]).to.equal(`invalid  line 2  invalid-signature: the signature is not ${alice.account.address.toLowerCase()}'s`);
    expect(rows[3]).to.match(/^valid    line 4 .*\(gap: messages after \d+\/\d+ missing\)$/);
  });

  it("verify rejects a publisher whose publish permission was revoked", async function () {
    expect((await chain.keyway(["permission", "grant", streamId, bob.account.address, "publish"], { signer: alice })).code).to.equal(0);
    const signed = (await sign('{"from":"bob"}\n', bob)).join("\n");
    expect((await chain.keyway(["message", "verify", streamId], { input: signed })).code).to.equal(0);
    expect((await chain.keyway(["permission", "revoke", streamId, bob.account.address, "publish"], { signer: alice })).code).to.equal(0);
    const result = await chain.keyway(["message", "verify", streamId, "--json"], { input: signed });
    expect(result.code).to.equal(9);
    expect(jsonLines<Verdict>(result.stdout)[0]).to.include({ valid: false, reason: "no-permission" });
  });

  it("sign fails cleanly: no key (5), no publish permission (4), unknown stream (3), bad id or a line that is not JSON (2)", async function () {
    expectFailure(await chain.keyway(["message", "sign", streamId], { input: "1\n" }), 5, /needs a private key/);
    expectFailure(
      await chain.keyway(["message", "sign", streamId], { signer: bob, input: "1\n" }),
      4,
      new RegExp(`${bob.account.address.toLowerCase()} does not have publish permission on ${streamId}`),
    );
    expectFailure(await chain.keyway(["message", "sign", `${streamId}-nope`], { signer: alice, input: "1\n" }), 3, /Stream not found/);
    expectFailure(await chain.keyway(["message", "sign", "telemetry"], { signer: alice, input: "1\n" }), 2, /Invalid stream id/);
    const partial = await chain.keyway(["message", "sign", streamId], { signer: alice, input: "1\n{oops\n" });
    expect(partial.code).to.equal(2);
    expect(partial.stderr).to.equal("keyway: line 2 is not valid JSON\n");
    expect(partial.stdout.trimEnd().split("\n")).to.have.length(1); // line 1 was signed before line 2 was read
  });

  it("verify checks the stream id and reads no key", async function () {
    expectFailure(await chain.keyway(["message", "verify", "nope"], { input: "" }), 2, /Invalid stream id "nope"/);
    const empty = await chain.keyway(["message", "verify", streamId], { input: "" });
    expect(empty.code, empty.stderr).to.equal(0);
    expect(empty.stdout).to.equal("");
  });
});
