import { expect } from "chai";
import { spawn } from "node:child_process";
import { expectFailure, KEYWAY_BIN, startTestChain, type TestChain } from "./harness";

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
    expect(Buffer.from(messages[1].content.slice(2), "hex").toString()).to.equal("[1, 2]");
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

  it("sign signs each line's exact bytes: no reparsing, big numbers and repeated keys kept, CRLF ends a line", async function () {
    const lines = ["9007199254740993", '{"a":1,"a":2}', ' { "b" : 1.50e+2 } ', '"caf\u00e9 \ud83d\ude00"', '"café 😀"'];
    const signed = (await sign(lines.join("\n") + "\r\n")).map((line) => JSON.parse(line) as Signed);
    expect(signed.map((m) => Buffer.from(m.content.slice(2), "hex").toString("utf8"))).to.deep.equal(lines);
    expect(signed[4].content).to.equal(`0x${Buffer.from('"café 😀"', "utf8").toString("hex")}`);
    const verified = await chain.keyway(["message", "verify", streamId], { input: signed.map((m) => JSON.stringify(m)).join("\n") });
    expect(verified.code, verified.stderr).to.equal(0);
  });

  it("sign refuses a line that is not valid UTF-8 (exit 2, one line) instead of signing a replacement character", async function () {
    for (const bad of [Buffer.from([0x22, 0xff, 0x22]), Buffer.from([0x22, 0xc3, 0x22]), Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22])]) {
      const input = Buffer.concat([Buffer.from("1\n"), bad, Buffer.from("\n2\n")]);
      const result = await chain.keyway(["message", "sign", streamId], { signer: alice, input });
      expect(result.code, result.stderr).to.equal(2);
      expect(result.stderr).to.equal("keyway: line 2 is not valid UTF-8\n");
      expect(result.stdout.trimEnd().split("\n"), "line 1 only").to.have.length(1);
    }
  });

  it("verify reports a line that is not valid UTF-8 as malformed", async function () {
    const [signed] = await sign("1\n");
    const input = Buffer.concat([Buffer.from(`${signed}\n`), Buffer.from([0x22, 0xff, 0x22, 0x0a])]);
    const result = await chain.keyway(["message", "verify", streamId, "--json"], { input });
    expect(result.code).to.equal(9);
    expect(jsonLines<Verdict & { error: string }>(result.stdout).map(({ line, valid, reason, error }) => ({ line, valid, reason, error }))).to.deep.equal([
      { line: 1, valid: true, reason: undefined, error: undefined },
      { line: 2, valid: false, reason: "malformed", error: "line 2 is not valid UTF-8" },
    ]);
  });

  describe("line length bound", function () {
    const MIB = 1024 * 1024;

    it("sign: a line of exactly the bound is signed; one byte more is one line of error, exit 2", async function () {
      const atBound = "1".repeat(MIB);
      const ok = await chain.keyway(["message", "sign", streamId], { signer: alice, input: `${atBound}\n` });
      expect(ok.code, ok.stderr).to.equal(0);
      expect(Buffer.from((JSON.parse(ok.stdout) as Signed).content.slice(2), "hex").toString()).to.equal(atBound);
      const over = await chain.keyway(["message", "sign", streamId], { signer: alice, input: `1\n${atBound}1\n2\n` });
      expect(over.code, over.stderr).to.equal(2);
      expect(over.stderr).to.equal("keyway: line 2 is longer than 1048576 bytes (--max-line-bytes)\n");
      expect(over.stdout.trimEnd().split("\n"), "line 1 only").to.have.length(1);
    });

    it("verify: --max-line-bytes sets the bound; a longer line is one line of error, exit 2", async function () {
      const [signed] = await sign("1\n");
      const bytes = Buffer.byteLength(signed);
      const ok = await chain.keyway(["message", "verify", streamId, "--max-line-bytes", String(bytes)], { input: signed });
      expect(ok.code, ok.stderr).to.equal(0);
      const over = await chain.keyway(["message", "verify", streamId, "--max-line-bytes", String(bytes - 1)], { input: `${signed}\n` });
      expectFailure(over, 2, new RegExp(`^keyway: line 1 is longer than ${bytes - 1} bytes \\(--max-line-bytes\\)\n`));
      for (const bad of ["0", "-1", "1.5", "lots"]) {
        expectFailure(await chain.keyway(["message", "verify", streamId, "--max-line-bytes", bad]), 2, /--max-line-bytes/);
      }
    });

    it("an endless line is refused once the bound is passed: the CLI stops reading, memory stays bounded", async function () {
      const child = spawn(process.execPath, [KEYWAY_BIN, "message", "verify", streamId], { env: chain.env, stdio: "pipe" });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (data: Buffer) => (stdout += data.toString()));
      child.stderr.on("data", (data: Buffer) => (stderr += data.toString()));
      child.stdin.on("error", () => {}); // EPIPE once the CLI has given up: expected
      const closed = new Promise<number | null>((resolve) => child.once("close", resolve));
      const chunk = Buffer.alloc(64 * 1024, 0x31); // "1111...": one JSON number that never ends
      const cap = 64 * MIB; // the old reader buffered all of it, waiting for a newline
      let written = 0;
      while (child.exitCode === null && !child.stdin.destroyed && written < cap) {
        if (!child.stdin.write(chunk)) await new Promise((resolve) => child.stdin.once("drain", resolve).once("close", resolve));
        written += chunk.length;
      }
      child.stdin.end();
      const code = await closed;
      expectFailure({ code, stdout, stderr }, 2, /^keyway: line 1 is longer than 4194304 bytes \(--max-line-bytes\)\n/);
      // The default bound of verify (4 MiB), what the pipe holds, and one chunk: nothing more was read.
      expect(written, "bytes written before the CLI gave up").to.be.lessThan(8 * MIB);
    });
  });

  it("verify checks the stream id and reads no key", async function () {
    expectFailure(await chain.keyway(["message", "verify", "nope"], { input: "" }), 2, /Invalid stream id "nope"/);
    const empty = await chain.keyway(["message", "verify", streamId], { input: "" });
    expect(empty.code, empty.stderr).to.equal(0);
    expect(empty.stdout).to.equal("");
  });
});
