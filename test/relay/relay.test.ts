import { expect } from "chai";
import { secp256k1 } from "@noble/curves/secp256k1";
import hre from "hardhat";
import { createPublicClient, createWalletClient, type Hex, http, stringToHex } from "viem";
import { hardhat } from "viem/chains";
import { createSiweMessage } from "viem/siwe";
import { StreamPermission } from "../../sdk";
import { closeAllClients, connect, type RawClient, type RelayOnChain, type SiweSigner, startRelayOnChain } from "./fixtures";
import { contentsOf, createTestStream, messagesOf, publisherOf, waitForContent } from "./helpers";

describe("relay: protocol v1 frames", function () {
  let chain: RelayOnChain;
  let publicStream: string;
  let privateStream: string;

  before(async function () {
    chain = await startRelayOnChain();
    const owner = chain.clientOf(0);
    publicStream = await createTestStream(owner, { publicSubscribe: true, partitions: 4 });
    privateStream = await createTestStream(owner);
    await owner.grantPermissions(privateStream, { userId: chain.accounts[1].account.address.toLowerCase(), permissions: [StreamPermission.SUBSCRIBE] });
  });

  afterEach(closeAllClients);
  after(async function () {
    await chain?.stop();
  });

  describe("hello", function () {
    it("is the first frame: protocol 1, the chain, the registry and a SIWE nonce", async function () {
      const client = await connect(chain.url);
      expect(client.frames[0]).to.equal(client.hello);
      expect(client.hello).to.deep.include({ type: "hello", protocol: 1, chainId: 31337, registry: chain.registryAddress });
      expect(client.hello.nonce).to.match(/^[a-zA-Z0-9]{8,}$/);
      const other = await connect(chain.url);
      expect(other.hello.nonce).not.to.equal(client.hello.nonce);
    });
  });

  describe("auth", function () {
    it("signs in with SIWE: the lowercase address, no expiry, and a fresh nonce", async function () {
      const client = await connect(chain.url);
      const reply = await client.signIn(chain.accounts[1]);
      expect(reply).to.deep.include({ type: "authenticated", address: chain.accounts[1].account.address.toLowerCase(), expiresAt: null });
      expect(reply.nonce).to.match(/^[a-zA-Z0-9]{8,}$/).and.not.equal(client.hello.nonce);
    });

    it("reports the expirationTime as unix ms", async function () {
      const client = await connect(chain.url);
      const expirationTime = new Date(Date.now() + 3_600_000);
      const reply = await client.signIn(chain.accounts[1], { expirationTime });
      expect(reply).to.include({ type: "authenticated", expiresAt: expirationTime.getTime() });
    });

    const refusals: [string, (client: RawClient) => Parameters<RawClient["signIn"]>[1], RegExp][] = [
      ["a wrong domain", () => ({ domain: "evil.example:443" }), /domain/],
      ["a wrong chain", () => ({ chainId: 1 }), /chain 1/],
      ["a wrong nonce", () => ({ nonce: "abcdefgh12345678" }), /nonce/],
      ["an expired message", () => ({ expirationTime: new Date(Date.now() - 1000) }), /expired/],
      ["a message not valid yet", () => ({ notBefore: new Date(Date.now() + 3_600_000) }), /not valid yet/],
      ["a message issued in the future", () => ({ issuedAt: new Date(Date.now() + 3_600_000) }), /future/],
    ];
    for (const [what, overrides, message] of refusals) {
      it(`refuses ${what} with AUTH_FAILED, and the nonce stays usable`, async function () {
        const client = await connect(chain.url);
        const reply = await client.signIn(chain.accounts[1], overrides(client));
        expect(reply).to.include({ type: "error", code: "AUTH_FAILED" });
        expect(reply.message).to.match(message);
        expect(await client.signIn(chain.accounts[1])).to.include({ type: "authenticated" });
      });
    }

    it("refuses a signature by another key", async function () {
      const client = await connect(chain.url);
      const reply = await client.signIn(chain.accounts[1], {}, chain.accounts[2]);
      expect(reply).to.include({ type: "error", code: "AUTH_FAILED" });
      expect(reply.message).to.match(/signature/);
    });

    it("accepts an account's signature with v 0/1 or a high s (the same signature, not in canonical form)", async function () {
      const { account } = chain.accounts[1];
      const rewritten = (rewrite: (signature: Hex) => Hex): SiweSigner => ({
        account: { address: account.address, signMessage: async (parameters) => rewrite(await account.signMessage(parameters)) },
      });
      const yParity = (signature: Hex) => `${signature.slice(0, 130)}0${Number.parseInt(signature.slice(130), 16) - 27}` as Hex;
      const highS = (signature: Hex) => {
        const s = BigInt(`0x${signature.slice(66, 130)}`);
        const v = 55 - Number.parseInt(signature.slice(130), 16); // 27 <-> 28
        return `${signature.slice(0, 66)}${(secp256k1.CURVE.n - s).toString(16).padStart(64, "0")}${v.toString(16)}` as Hex;
      };
      for (const rewrite of [yParity, highS]) {
        const client = await connect(chain.url);
        expect(await client.signIn(chain.accounts[1], {}, rewritten(rewrite))).to.include({ type: "authenticated", address: account.address.toLowerCase() });
      }
    });

    it("signs in a contract wallet (ERC-1271) when its owner signed, through the chain; refuses another key's signature", async function () {
      const { abi, bytecode } = await hre.artifacts.readArtifact("ERC1271WalletMock");
      const owner = chain.accounts[2].account;
      const deployer = createWalletClient({ account: owner, chain: hardhat, transport: http(chain.rpcUrl) });
      const hash = await deployer.deployContract({ abi, bytecode: bytecode as Hex, args: [owner.address] });
      const { contractAddress } = await createPublicClient({ chain: hardhat, transport: http(chain.rpcUrl) }).waitForTransactionReceipt({ hash });
      const wallet = (signer: typeof owner): SiweSigner => ({ account: { address: contractAddress!, signMessage: (parameters) => signer.signMessage(parameters) } });
      const client = await connect(chain.url);
      const refused = await client.signIn(wallet(chain.accounts[3].account));
      expect(refused).to.include({ type: "error", code: "AUTH_FAILED" });
      expect(refused.message).to.match(/signature/);
      expect(await client.signIn(wallet(owner))).to.include({ type: "authenticated", address: contractAddress!.toLowerCase() });
    });

    it("refuses a message whose version is not 1, and a signature that is not hex, and spends no nonce", async function () {
      const client = await connect(chain.url);
      const host = new URL(chain.url).host;
      const message = createSiweMessage({ address: chain.accounts[1].account.address, chainId: 31337, domain: host, nonce: client.hello.nonce, uri: `http://${host}`, version: "1", issuedAt: new Date() });
      const version2 = message.replace("Version: 1", "Version: 2");
      const refused = await client.request({ type: "auth", message: version2, signature: await chain.accounts[1].account.signMessage({ message: version2 }) });
      expect(refused).to.include({ type: "error", code: "AUTH_FAILED" });
      expect(refused.message).to.match(/version is not 1/);
      const signature = await chain.accounts[1].account.signMessage({ message });
      const notHex = await client.request({ type: "auth", message, signature: `${signature.slice(0, 128)}zz${signature.slice(130)}` });
      expect(notHex).to.include({ type: "error", code: "AUTH_FAILED" });
      expect(notHex.message).to.match(/signature/);
      expect(await client.request({ type: "auth", message, signature })).to.include({ type: "authenticated" });
    });

    it("refuses a message over 4,096 characters before parsing it (crafted ones cost viem's parser quadratic time), and spends no nonce", async function () {
      const client = await connect(chain.url);
      const crafted = await client.request({ type: "auth", message: "URI: ".repeat(12_000), signature: "0x00" });
      expect(crafted).to.include({ type: "error", code: "AUTH_FAILED" });
      expect(crafted.message).to.match(/longer than 4096 characters/);
      const host = new URL(chain.url).host;
      const long = createSiweMessage({ address: chain.accounts[1].account.address, chainId: 31337, domain: host, nonce: client.hello.nonce, uri: `http://${host}`, version: "1", issuedAt: new Date(), statement: "x".repeat(4_100) });
      const refused = await client.request({ type: "auth", message: long, signature: await chain.accounts[1].account.signMessage({ message: long }) });
      expect(refused).to.include({ type: "error", code: "AUTH_FAILED" });
      expect(await client.signIn(chain.accounts[1])).to.include({ type: "authenticated" });
    });

    it("refuses a reused nonce: each nonce signs in once", async function () {
      const client = await connect(chain.url);
      await client.signIn(chain.accounts[1]);
      const reply = await client.signIn(chain.accounts[1], { nonce: client.hello.nonce });
      expect(reply).to.include({ type: "error", code: "AUTH_FAILED" });
      expect(reply.message).to.match(/nonce/);
      // The nonce handed out with `authenticated` works for a re-auth.
      expect(await client.signIn(chain.accounts[2])).to.include({ type: "authenticated", address: chain.accounts[2].account.address.toLowerCase() });
    });

    it("refuses an auth frame without a message or signature with INVALID_REQUEST", async function () {
      const client = await connect(chain.url);
      expect(await client.request({ type: "auth", message: 42, signature: "0x" })).to.include({ type: "error", code: "INVALID_REQUEST" });
      expect(await client.request({ type: "auth", message: "hello" })).to.include({ type: "error", code: "INVALID_REQUEST" });
      expect(await client.request({ type: "auth", message: "hello", signature: "0x00" })).to.include({ type: "error", code: "AUTH_FAILED" });
    });
  });

  describe("subscribe and unsubscribe", function () {
    it("lets an anonymous connection subscribe to a public stream only", async function () {
      const client = await connect(chain.url);
      expect(await client.request({ type: "subscribe", streamId: publicStream, partition: 0 })).to.deep.include({
        type: "subscribed",
        streamId: publicStream,
        partition: 0,
      });
      const refused = await client.request({ type: "subscribe", streamId: privateStream, partition: 0 });
      expect(refused).to.include({ type: "error", code: "UNAUTHORIZED" });
    });

    it("admits a signed-in subscriber holding Subscribe and refuses one without it", async function () {
      const allowed = await connect(chain.url);
      await allowed.signIn(chain.accounts[1]);
      expect(await allowed.request({ type: "subscribe", streamId: privateStream })).to.include({ type: "subscribed", partition: 0 });
      const refused = await connect(chain.url);
      await refused.signIn(chain.accounts[2]);
      const reply = await refused.request({ type: "subscribe", streamId: privateStream });
      expect(reply).to.include({ type: "error", code: "UNAUTHORIZED" });
      expect(reply.message).to.include(chain.accounts[2].account.address.toLowerCase());
    });

    it("answers with the canonical stream id when given a checksummed one", async function () {
      const client = await connect(chain.url);
      const checksummed = publicStream.replace(/^0x[0-9a-f]{40}/, chain.accounts[0].account.address);
      expect(checksummed).not.to.equal(publicStream);
      expect(await client.request({ type: "subscribe", streamId: checksummed, partition: 3 })).to.include({ type: "subscribed", streamId: publicStream, partition: 3 });
    });

    it("refuses a stream that does not exist, a second subscribe, and malformed fields", async function () {
      const client = await connect(chain.url);
      const missing = `${chain.accounts[0].account.address.toLowerCase()}/does-not-exist`;
      expect(await client.request({ type: "subscribe", streamId: missing })).to.include({ type: "error", code: "STREAM_NOT_FOUND" });
      await client.request({ type: "subscribe", streamId: publicStream });
      expect(await client.request({ type: "subscribe", streamId: publicStream })).to.include({ type: "error", code: "ALREADY_SUBSCRIBED" });
      for (const bad of [{ streamId: 42 }, { streamId: "not a stream" }, { streamId: publicStream, partition: -1 }, { streamId: publicStream, partition: 1.5 }, { streamId: publicStream, from: { timestamp: "now" } }]) {
        expect(await client.request({ type: "subscribe", ...bad }), JSON.stringify(bad)).to.include({ type: "error", code: "INVALID_REQUEST" });
      }
    });

    it("answers a subscribe that an unsubscribe overtook while its permission was read: error NOT_SUBSCRIBED (reason REQUESTED), then the unsubscribe's reply; nothing delivered", async function () {
      // A stream this relay has not read yet: the subscribe waits on the node while the unsubscribe comes in.
      const fresh = await createTestStream(chain.clientOf(0), { publicSubscribe: true });
      const client = await connect(chain.url);
      client.sendRaw(JSON.stringify({ type: "subscribe", id: "s", streamId: fresh }));
      client.sendRaw(JSON.stringify({ type: "unsubscribe", id: "u", streamId: fresh }));
      const subscribeReply = await client.waitFor((frame) => frame.id === "s", "the subscribe's answer");
      expect(subscribeReply).to.include({ type: "error", code: "NOT_SUBSCRIBED", reason: "REQUESTED" });
      const replies = client.frames.filter((frame) => frame.id === "s" || frame.id === "u");
      expect(replies.map((frame) => [frame.id, frame.type])).to.deep.equal([["s", "error"], ["u", "unsubscribed"]]);
      expect(replies[1]).to.include({ reason: "REQUESTED", streamId: fresh });
      const watcher = await connect(chain.url);
      await watcher.request({ type: "subscribe", streamId: fresh });
      const publisher = await connect(chain.url);
      expect(await publisher.request({ type: "publish", message: await publisherOf(chain, fresh, chain.accounts[0])({ after: true }) })).to.include({ type: "published" });
      await waitForContent(watcher, fresh, { after: true });
      expect(messagesOf(client, fresh)).to.deep.equal([]);
      expect(client.frames.filter((frame) => frame.type === "subscribed" || frame.type === "unsubscribed").length).to.equal(1);
      expect(await client.request({ type: "subscribe", streamId: fresh })).to.include({ type: "subscribed" });
    });

    it("unsubscribes on request (REQUESTED, with the id) and delivers nothing after; NOT_SUBSCRIBED otherwise", async function () {
      const publish = publisherOf(chain, publicStream, chain.accounts[0]);
      const leaving = await connect(chain.url);
      const staying = await connect(chain.url);
      await leaving.request({ type: "subscribe", streamId: publicStream });
      await staying.request({ type: "subscribe", streamId: publicStream });
      const reply = await leaving.request({ type: "unsubscribe", streamId: publicStream, partition: 0 });
      expect(reply).to.deep.include({ type: "unsubscribed", streamId: publicStream, partition: 0, reason: "REQUESTED" });
      const publisher = await connect(chain.url);
      expect(await publisher.request({ type: "publish", message: await publish({ after: "unsubscribe" }) })).to.include({ type: "published" });
      await waitForContent(staying, publicStream, { after: "unsubscribe" });
      expect(messagesOf(leaving, publicStream)).to.deep.equal([]);
      expect(await leaving.request({ type: "unsubscribe", streamId: publicStream })).to.include({ type: "error", code: "NOT_SUBSCRIBED" });
    });
  });

  describe("publish", function () {
    it("needs no auth, and delivers the message exactly as published to the subscribers of its partition only", async function () {
      const here = await connect(chain.url);
      const otherPartition = await connect(chain.url);
      await here.request({ type: "subscribe", streamId: publicStream, partition: 0 });
      await otherPartition.request({ type: "subscribe", streamId: publicStream, partition: 1 });
      const publisher = await connect(chain.url);
      const message = await publisherOf(chain, publicStream, chain.accounts[0])({ hello: "world" });
      expect(await publisher.request({ type: "publish", message })).to.include({ type: "published" });
      const delivered = await waitForContent(here, publicStream, { hello: "world" });
      expect(delivered).to.deep.equal({ type: "message", streamId: publicStream, partition: 0, message });
      const marker = await publisherOf(chain, publicStream, chain.accounts[0], 1)({ partition: 1 });
      await publisher.request({ type: "publish", message: marker });
      await waitForContent(otherPartition, publicStream, { partition: 1 });
      expect(contentsOf(otherPartition, publicStream)).to.deep.equal([{ partition: 1 }]);
    });

    it("refuses a non-publisher, a tampered message, a duplicate, another stream's message and a malformed one; none reaches anybody", async function () {
      const subscriber = await connect(chain.url);
      await subscriber.request({ type: "subscribe", streamId: publicStream });
      const publisher = await connect(chain.url);
      const publish = publisherOf(chain, publicStream, chain.accounts[0]);

      const stranger = await publisherOf(chain, publicStream, chain.accounts[3])({ from: "stranger" });
      expect(await publisher.request({ type: "publish", message: stranger })).to.include({ type: "error", code: "MESSAGE_REJECTED", reason: "no-permission" });

      const original = await publish({ n: 1 });
      const tampered = { ...original, content: stringToHex(JSON.stringify({ n: 1000 })) };
      expect(await publisher.request({ type: "publish", message: tampered })).to.include({ type: "error", code: "MESSAGE_REJECTED", reason: "invalid-signature" });
      expect(await publisher.request({ type: "publish", message: original })).to.include({ type: "published" });
      expect(await publisher.request({ type: "publish", message: original })).to.include({ type: "error", code: "MESSAGE_REJECTED", reason: "duplicate" });

      // Signed for the private stream, relabelled as the public one: the signature covers the stream id.
      const forPrivate = await publisherOf(chain, privateStream, chain.accounts[0])({ n: "private" });
      const relabelled = { ...forPrivate, streamId: publicStream };
      expect(await publisher.request({ type: "publish", message: relabelled })).to.include({ type: "error", code: "MESSAGE_REJECTED", reason: "invalid-signature" });
      const unsigned = { ...(await publish({ n: "unsigned" })), signature: undefined };
      expect(await publisher.request({ type: "publish", message: unsigned })).to.include({ type: "error", code: "MESSAGE_REJECTED", reason: "unsigned" });

      for (const malformed of [{ ...original, partition: "0" }, { ...original, extra: 1 }, "a string", null, { ...original, streamId: "nope" }]) {
        const reply = await publisher.request({ type: "publish", message: malformed });
        expect(reply, JSON.stringify(malformed)).to.include({ type: "error", code: "INVALID_MESSAGE" });
      }

      await publisher.request({ type: "publish", message: await publish({ n: "marker" }) });
      await waitForContent(subscriber, publicStream, { n: "marker" });
      expect(contentsOf(subscriber, publicStream)).to.deep.equal([{ n: 1 }, { n: "marker" }]);
    });

    // Every JSON shape a field can take that is not its own; objects whose toString is not a function
    // once made the validator's own error message throw, answered UNAVAILABLE.
    const wrongShapes: unknown[] = [{}, { toString: 1 }, { valueOf: 1, toString: 1 }, { a: { b: { toString: 1 } } }, [], [1], [{ toString: 1 }], 1.5, -1, null, true, "x"];
    const malformedPublishes: [string, (original: Record<string, unknown>) => unknown][] = [
      ...wrongShapes.map((shape): [string, (original: Record<string, unknown>) => unknown] => [`streamId ${JSON.stringify(shape)}`, (original) => ({ ...original, streamId: shape })]),
      ...wrongShapes.map((shape): [string, (original: Record<string, unknown>) => unknown] => [`partition ${JSON.stringify(shape)}`, (original) => ({ ...original, partition: shape })]),
      ...wrongShapes.map((shape): [string, (original: Record<string, unknown>) => unknown] => [`message ${JSON.stringify(shape)}`, () => shape]),
    ];
    it("answers every malformed shape of streamId, partition and message with INVALID_MESSAGE, never UNAVAILABLE", async function () {
      const publisher = await connect(chain.url);
      const original = (await publisherOf(chain, publicStream, chain.accounts[0])({ n: "shape" })) as unknown as Record<string, unknown>;
      for (const [what, malformed] of malformedPublishes) {
        const reply = await publisher.request({ type: "publish", message: malformed(original) });
        expect(reply, what).to.include({ type: "error", code: "INVALID_MESSAGE" });
      }
    });

    it("delivers one connection's publishes in order, each once, to every subscriber", async function () {
      const subscribers = await Promise.all([1, 2, 3].map(() => connect(chain.url)));
      await Promise.all(subscribers.map((client) => client.request({ type: "subscribe", streamId: publicStream })));
      const publisher = await connect(chain.url);
      const publish = publisherOf(chain, publicStream, chain.accounts[0]);
      const sent = Array.from({ length: 50 }, (_, i) => ({ order: i }));
      const messages = [];
      for (const value of sent) messages.push(await publish(value));
      messages.forEach((message, i) => publisher.socket.send(JSON.stringify({ type: "publish", id: i, message })));
      for (const client of subscribers) {
        await waitForContent(client, publicStream, sent[sent.length - 1]);
        expect(contentsOf(client, publicStream)).to.deep.equal(sent);
      }
      await publisher.waitFor((frame) => frame.id === sent.length - 1, "the last ack");
      expect(publisher.frames.filter((frame) => frame.type === "published").map((frame) => frame.id)).to.deep.equal(sent.map((_, i) => i));
    });
    it("validates a burst side by side, yet answers and delivers it in order: 600 publishes to a stream it has not seen, a duplicate and a tampered one among them", async function () {
      const freshStream = await createTestStream(chain.clientOf(0), { publicSubscribe: true });
      const subscriber = await connect(chain.url);
      await subscriber.request({ type: "subscribe", streamId: freshStream });
      const publisher = await connect(chain.url);
      const publish = publisherOf(chain, freshStream, chain.accounts[0]);
      // More than the validator's window of 256 positions per chain: recorded out of order, the first would be refused as stale.
      const sent = Array.from({ length: 600 }, (_, i) => ({ order: i }));
      const messages: unknown[] = [];
      for (const value of sent) messages.push(await publish(value));
      const tampered = { ...(messages[300] as object), content: stringToHex(JSON.stringify({ order: "tampered" })) };
      const burst = [...messages.slice(0, 300), tampered, messages[299], ...messages.slice(300)];
      burst.forEach((message, id) => publisher.socket.send(JSON.stringify({ type: "publish", id, message })));
      await publisher.waitFor((frame) => frame.id === burst.length - 1, "the last answer");
      const answers = publisher.frames.filter((frame) => frame.id !== undefined && frame.id !== null);
      expect(answers.map((frame) => frame.id)).to.deep.equal(burst.map((_, id) => id));
      expect(answers.filter((frame) => frame.type === "error").map((frame) => [frame.id, frame.reason])).to.deep.equal([[300, "invalid-signature"], [301, "duplicate"]]);
      await waitForContent(subscriber, freshStream, sent[sent.length - 1]);
      expect(contentsOf(subscriber, freshStream)).to.deep.equal(sent);
    });
  });

  describe("malformed frames", function () {
    it("answers with an error frame (id null when the id cannot be read) and keeps serving", async function () {
      const client = await connect(chain.url);
      const expectError = async (data: string | Buffer, id: unknown, options = {}) => {
        const count = client.frames.length;
        client.sendRaw(data, options);
        const reply = await client.waitFor((frame) => client.frames.indexOf(frame) >= count, `the error for ${String(data).slice(0, 40)}`);
        expect(reply, String(data)).to.include({ type: "error", code: "INVALID_REQUEST" });
        expect(reply.id, String(data)).to.equal(id);
        expect(reply.message).to.be.a("string");
      };
      await expectError("this is not json", null);
      await expectError("{\"type\":", null);
      await expectError("[1,2,3]", null);
      await expectError("42", null);
      await expectError(JSON.stringify({ type: "subscribe", id: { nested: true }, streamId: publicStream }), null);
      await expectError(JSON.stringify({ type: "teleport", id: 7 }), 7);
      await expectError(JSON.stringify({ type: "__proto__", id: 8 }), 8);
      await expectError(JSON.stringify({ id: 9 }), 9);
      await expectError(JSON.stringify({ type: 5, id: "x" }), "x");
      await expectError(Buffer.from(JSON.stringify({ type: "subscribe", id: 10, streamId: publicStream })), null, { binary: true });
      // Unknown fields are ignored.
      expect(await client.request({ type: "subscribe", streamId: publicStream, colour: "blue" })).to.include({ type: "subscribed" });
    });

    it("closes the connection with 1009 on a frame larger than maxFrameBytes, and keeps serving others", async function () {
      const client = await connect(chain.url);
      client.sendRaw(JSON.stringify({ type: "publish", id: 1, message: "x".repeat(100 * 1024) }));
      expect((await client.closed).code).to.equal(1009);
      const other = await connect(chain.url);
      expect(await other.request({ type: "subscribe", streamId: publicStream })).to.include({ type: "subscribed" });
    });
  });
});
