import { expect } from "chai";
import { KeywayClient, type MessageMetadata, StreamPermission } from "../../sdk";
import { findFreePort } from "../../scripts/localNode";
import { createTestStream, until } from "../relay/helpers";
import { expectFailure } from "./harness";
import { type CliRelayChain, startCliRelayChain } from "./relayChain";

describe("keyway publish", function () {
  let chain: CliRelayChain;
  let streamId: string;

  before(async function () {
    chain = await startCliRelayChain();
    streamId = await createTestStream(chain.clientOf(0), { partitions: 3 });
  });
  after(async function () {
    await chain?.stop();
  });

  it("publishes each stdin line as one signed message of its exact bytes (JSON lines as application/json), skipping blank lines", async function () {
    const received: { content: unknown; metadata: MessageMetadata }[] = [];
    const subscriber = new KeywayClient({
      rpcUrl: chain.rpcUrl,
      registryAddress: chain.registryAddress,
      privateKey: chain.accounts[0].privateKey,
      relayUrl: chain.url,
    });
    try {
      await subscriber.subscribe(streamId, (content, metadata) => void received.push({ content, metadata }));
      const input = Buffer.concat([Buffer.from('{"temperature": 21.5}\r\n\nplain text\n  \n[1,2]\n'), Buffer.from([0xff, 0xfe, 0x0a]), Buffer.from("42")]);
      const result = await chain.keyway(["publish", streamId], { signer: 0, input });
      expect(result.code, result.stderr).to.equal(0);
      expect(result.stderr).to.equal("");
      const lines = result.stdout.trimEnd().split("\n");
      expect(lines).to.have.length(5);
      expect(lines[0]).to.match(/^published  \d{4}-\d\d-\d\dT[\d:.]+Z #\d+  application\/json  encrypted$/);

      await until(() => received.length === 5, "the five messages");
      expect(received.map((m) => m.metadata.contentType)).to.deep.equal([
        "application/json",
        "text/plain; charset=utf-8",
        "application/json",
        "application/octet-stream",
        "application/json",
      ]);
      expect(received[0].content).to.deep.equal({ temperature: 21.5 });
      expect(Buffer.from(received[1].content as Uint8Array).toString()).to.equal("plain text");
      expect([...(received[3].content as Uint8Array)]).to.deep.equal([0xff, 0xfe]);
      expect(received[4].content).to.equal(42);
    } finally {
      subscriber.destroy();
    }
  });

  it("with --json prints each signed message, and keeps the exact bytes of a JSON line", async function () {
    // In plaintext (--encryption never) to see the bytes; by default a private stream's content is ciphertext.
    const encrypted = await chain.keyway(["publish", streamId, "--json"], { signer: 0, input: '{"a" :  1}\n' });
    expect(JSON.parse(encrypted.stdout).groupKeyId).to.be.a("string");
    const result = await chain.keyway(["publish", streamId, "--json", "--partition", "2", "--encryption", "never"], { signer: 0, input: '{"a" :  1}\n' });
    expect(result.code, result.stderr).to.equal(0);
    const message = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(message).to.not.have.property("groupKeyId");
    expect(message).to.include({ streamId, partition: 2, contentType: "application/json", publisher: chain.accounts[0].account.address.toLowerCase() });
    expect(Buffer.from((message.content as string).slice(2), "hex").toString()).to.equal('{"a" :  1}');
  });

  it("stops at a message the relay refuses: one line on stderr, exit 9", async function () {
    const result = await chain.keyway(["publish", streamId], { signer: 2, input: "1\n2\n" });
    expectFailure(result, 9, /rejected \(no-permission\)/);
  });

  it("needs a key (exit 5) and a reachable relay (exit 10); checks its arguments (exit 2)", async function () {
    expectFailure(await chain.keyway(["publish", streamId], { input: "1\n" }), 5, /private key/);
    const port = await findFreePort();
    const unreachable = await chain.keyway(["publish", streamId, "--relay-url", `ws://127.0.0.1:${port}`], { signer: 0, input: "1\n" });
    expectFailure(unreachable, 10, new RegExp(`cannot reach the relay at ws://127.0.0.1:${port}`));
    expectFailure(await chain.keyway(["publish", streamId, "--partition", "-1"], { signer: 0, input: "1\n" }), 2, /partition/);
    expectFailure(await chain.keyway(["publish", streamId, "--partition", "3"], { signer: 0, input: "1\n" }), 2, /partition 3 is beyond the stream's 3 partitions/);
    expectFailure(await chain.keyway(["publish", "not-a-stream"], { signer: 0, input: "1\n" }), 2, /stream id/i);
  });

  it("is refused once the publisher's permission is revoked", async function () {
    const owner = chain.clientOf(0);
    const stream = await createTestStream(owner);
    await owner.grantPermissions(stream, { userId: chain.accounts[3].account.address.toLowerCase(), permissions: [StreamPermission.PUBLISH] });
    expect((await chain.keyway(["publish", stream], { signer: 3, input: "1\n" })).code).to.equal(0);
    await owner.revokePermissions(stream, { userId: chain.accounts[3].account.address.toLowerCase(), permissions: [StreamPermission.PUBLISH] });
    // The relay learns of the revocation within its polling interval.
    let result = await chain.keyway(["publish", stream], { signer: 3, input: "2\n" });
    await until(async () => (result = await chain.keyway(["publish", stream], { signer: 3, input: "2\n" })).code !== 0, "the refusal");
    expectFailure(result, 9, /no-permission/);
  });
});
