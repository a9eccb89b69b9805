import { expect } from "chai";
import type { Address } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import {
  type AccessGrant,
  createPublisher,
  type Delegation,
  PUBLISH_BIT,
  randomSalt,
  signAccessGrant,
  signDelegation,
  type SignedAccessGrant,
  StreamPermission,
  SUBSCRIBE_BIT,
} from "../../sdk";
import { closeAllClients, connect, type RawClient, type RelayOnChain, startRelayOnChain } from "./fixtures";
import { contentsOf, createTestStream, domainOf, publisherOf, until, waitForContent } from "./helpers";
import { signingAs } from "../sdk/delegation/fixtures";

const inSeconds = (seconds: number) => Math.floor(Date.now() / 1000) + seconds;

describe("relay: session keys (auth with a delegation) and access grants (subscribe with a grant)", function () {
  let chain: RelayOnChain;
  const address = (index: number) => chain.accounts[index].account.address.toLowerCase() as Address;

  before(async function () {
    chain = await startRelayOnChain();
  });
  afterEach(closeAllClients);
  after(async function () {
    await chain?.stop();
  });

  /** A fresh session key and the delegation to it signed by account `holder` (for this relay's domain unless told). */
  async function sessionKey(holder: number, overrides: Partial<Delegation>, domain = domainOf(chain)) {
    const key = privateKeyToAccount(generatePrivateKey());
    const unsigned: Delegation = { delegate: key.address.toLowerCase() as Address, streamIds: [], permissions: SUBSCRIBE_BIT, expiresAt: inSeconds(3600), salt: randomSalt(), ...overrides };
    const delegation = await signDelegation(unsigned, { signer: chain.accounts[holder].privateKey, domain });
    return { key: { account: key }, delegation };
  }

  /** Connects and signs in with the session key and its delegation. */
  async function signInWith(session: { key: { account: ReturnType<typeof privateKeyToAccount> }; delegation: unknown }, overrides = {}) {
    const client = await connect(chain.url);
    const reply = await client.signIn(session.key, overrides, session.key, { delegation: session.delegation });
    return { client, reply };
  }

  /** A private stream of account #0 where `holders` hold Subscribe. */
  async function streamWithSubscribers(...holders: number[]) {
    const owner = chain.clientOf(0);
    const streamId = await createTestStream(owner);
    for (const holder of holders) await owner.grantPermissions(streamId, { userId: address(holder), permissions: [StreamPermission.SUBSCRIBE] });
    return { owner, streamId };
  }

  /** Publishes `value` as account #0 and waits for a witness (the owner, signed in directly) to get it: everything accepted before was fanned out. */
  async function publishAndWitness(streamId: string, value: unknown) {
    const witness = await connect(chain.url);
    await witness.signIn(chain.accounts[0]);
    expect(await witness.request({ type: "subscribe", streamId })).to.include({ type: "subscribed" });
    const publisher = await connect(chain.url);
    expect(await publisher.request({ type: "publish", message: await publisherOf(chain, streamId, chain.accounts[0])(value) })).to.include({ type: "published" });
    await waitForContent(witness, streamId, value);
    await witness.close();
  }

  function authFailed(reply: Record<string, unknown>, pattern: RegExp) {
    expect(reply).to.include({ type: "error", code: "AUTH_FAILED" });
    expect(reply.message).to.match(pattern);
  }

  describe("auth with a delegation", function () {
    it("authenticates the session key as the holder, until the earlier of the SIWE and the delegation expiry", async function () {
      const { streamId } = await streamWithSubscribers(1);
      const expiresAt = inSeconds(3600);
      const session = await sessionKey(1, { streamIds: [streamId], expiresAt });
      const { reply } = await signInWith(session);
      expect(reply).to.include({ type: "authenticated", address: address(1), expiresAt: expiresAt * 1000 });
      expect(reply.nonce).to.be.a("string");

      const earlierSiwe = new Date(Date.now() + 600_000);
      const { reply: second } = await signInWith(session, { expirationTime: earlierSiwe });
      expect(second).to.include({ type: "authenticated", address: address(1), expiresAt: earlierSiwe.getTime() });
    });

    it("authenticates a delegation without Subscribe (Publish only)", async function () {
      const owner = chain.clientOf(0);
      const streamId = await createTestStream(owner);
      await owner.grantPermissions(streamId, { userId: address(1), permissions: [StreamPermission.PUBLISH] });
      const session = await sessionKey(1, { streamIds: [streamId], permissions: PUBLISH_BIT });
      const { client, reply } = await signInWith(session);
      expect(reply).to.include({ type: "authenticated", address: address(1) });
      // Signed in, but the delegation does not cover subscribing.
      expect(await client.request({ type: "subscribe", streamId })).to.include({ type: "error", code: "UNAUTHORIZED" });
    });

    it("refuses a tampered delegation, one signed by someone else, a SIWE not signed by the delegate, an expired one and another domain's, and spends no nonce", async function () {
      const { streamId } = await streamWithSubscribers(1);
      const genuine = await sessionKey(1, { streamIds: [streamId] });

      // Tampered: another stream listed after signing recovers another address, which holds nothing.
      const other = (await streamWithSubscribers()).streamId;
      const tampered = { ...genuine.delegation, streamIds: [other] };
      authFailed((await signInWith({ key: genuine.key, delegation: tampered })).reply, /invalid delegation \(revoked\)/);
      // Malformed: an extra field, uppercase hex.
      authFailed((await signInWith({ key: genuine.key, delegation: { ...genuine.delegation, holder: address(1) } })).reply, /invalid delegation \(malformed\)/);
      authFailed((await signInWith({ key: genuine.key, delegation: { ...genuine.delegation, salt: genuine.delegation.salt.toUpperCase().replace("0X", "0x") } })).reply, /malformed/);

      // Signed by account #2, who holds nothing on the stream.
      const bySomeoneElse = await sessionKey(2, { streamIds: [streamId] });
      authFailed((await signInWith(bySomeoneElse)).reply, /invalid delegation \(revoked\)/);

      // The SIWE message is signed by another key than the delegate's.
      const stranger = { account: privateKeyToAccount(generatePrivateKey()) };
      authFailed((await signInWith({ key: stranger, delegation: genuine.delegation })).reply, /invalid delegation \(grantee\): it delegates to/);

      // The SIWE message names the delegate but another key signed it.
      const client = await connect(chain.url);
      authFailed(await client.signIn(genuine.key, {}, stranger, { delegation: genuine.delegation }), /signature/);

      // Expired.
      const expired = await sessionKey(1, { streamIds: [streamId], expiresAt: inSeconds(-10), delegate: genuine.delegation.delegate });
      authFailed((await signInWith({ key: genuine.key, delegation: expired.delegation })).reply, /invalid delegation \(expired\)/);

      // Signed for another chain id, or another registry: it recovers someone who holds nothing here.
      const otherChain = await sessionKey(1, { streamIds: [streamId] }, { ...domainOf(chain), chainId: chain.chainId + 1 });
      authFailed((await signInWith(otherChain)).reply, new RegExp(`not signed for chain ${chain.chainId} and registry`));
      const otherRegistry = await sessionKey(1, { streamIds: [streamId] }, { ...domainOf(chain), verifyingContract: `0x${"11".repeat(20)}` });
      authFailed((await signInWith(otherRegistry)).reply, /invalid delegation \(revoked\)/);

      // The nonce of a refused auth is still good: the genuine delegation signs in on the same connection.
      const same = await connect(chain.url);
      authFailed(await same.signIn(genuine.key, {}, genuine.key, { delegation: expired.delegation }), /expired/);
      expect(await same.signIn(genuine.key, {}, genuine.key, { delegation: genuine.delegation })).to.include({ type: "authenticated", address: address(1) });
    });
  });

  describe("a session subscribing", function () {
    it("subscribes to a listed stream with the Subscribe bit and receives its messages; refused on an unlisted stream or without the bit", async function () {
      const { owner, streamId } = await streamWithSubscribers(1);
      await owner.grantPermissions(streamId, { userId: address(1), permissions: [StreamPermission.PUBLISH] });
      const unlisted = (await streamWithSubscribers(1)).streamId;
      const session = await sessionKey(1, { streamIds: [streamId] });
      const { client } = await signInWith(session);
      expect(await client.request({ type: "subscribe", streamId })).to.include({ type: "subscribed", streamId });
      // #1 holds Subscribe on `unlisted` itself, but the session may act only where the delegation says.
      const refused = await client.request({ type: "subscribe", streamId: unlisted });
      expect(refused).to.include({ type: "error", code: "UNAUTHORIZED" });
      expect(refused.message).to.match(/does not list/);
      await publishAndWitness(streamId, { to: "session" });
      await waitForContent(client, streamId, { to: "session" });
      expect(contentsOf(client, unlisted)).to.deep.equal([]);

      const publishOnly = await sessionKey(1, { streamIds: [streamId], permissions: PUBLISH_BIT });
      const { client: noBit, reply } = await signInWith(publishOnly);
      expect(reply).to.include({ type: "authenticated", address: address(1) });
      const noBitReply = await noBit.request({ type: "subscribe", streamId });
      expect(noBitReply).to.include({ type: "error", code: "UNAUTHORIZED" });
      expect(noBitReply.message).to.match(/does not include subscribe/i);
    });

    it("is refused when the holder does not hold Subscribe", async function () {
      const { streamId } = await streamWithSubscribers(2);
      const owner = chain.clientOf(0);
      await owner.grantPermissions(streamId, { userId: address(1), permissions: [StreamPermission.PUBLISH] });
      const session = await sessionKey(1, { streamIds: [streamId], permissions: PUBLISH_BIT | SUBSCRIBE_BIT });
      const { client, reply } = await signInWith(session);
      expect(reply).to.include({ type: "authenticated" });
      const refused = await client.request({ type: "subscribe", streamId });
      expect(refused).to.include({ type: "error", code: "UNAUTHORIZED" });
      expect(refused.message).to.match(/does not hold subscribe/i);
    });

    it("ends with SESSION_EXPIRED when the delegation expires, and nothing is delivered after", async function () {
      const { streamId } = await streamWithSubscribers(1);
      const expiresAt = inSeconds(8); // room for the sign-in and subscribe on a loaded machine
      const session = await sessionKey(1, { streamIds: [streamId], expiresAt });
      const { client } = await signInWith(session);
      expect(await client.request({ type: "subscribe", streamId })).to.include({ type: "subscribed" });
      const ended = await client.waitFor((frame) => frame.type === "unsubscribed", "unsubscribed");
      expect(ended).to.deep.equal({ type: "unsubscribed", streamId, partition: 0, reason: "SESSION_EXPIRED" });
      expect(Date.now()).to.be.at.least(expiresAt * 1000);
      await publishAndWitness(streamId, { after: "expiry" });
      expect(contentsOf(client, streamId)).to.deep.equal([]);
      expect(await client.request({ type: "subscribe", streamId })).to.include({ type: "error", code: "UNAUTHORIZED" });
    });

    it("ends with PERMISSION_REVOKED when the holder's Subscribe is revoked on chain, and nothing is delivered after", async function () {
      const { owner, streamId } = await streamWithSubscribers(1);
      const session = await sessionKey(1, { streamIds: [streamId] });
      const { client } = await signInWith(session);
      expect(await client.request({ type: "subscribe", streamId })).to.include({ type: "subscribed" });
      await owner.revokePermissions(streamId, { userId: address(1), permissions: [StreamPermission.SUBSCRIBE] });
      const ended = await client.waitFor((frame) => frame.type === "unsubscribed", "unsubscribed");
      expect(ended).to.deep.equal({ type: "unsubscribed", streamId, partition: 0, reason: "PERMISSION_REVOKED" });
      await publishAndWitness(streamId, { after: "revocation" });
      expect(contentsOf(client, streamId)).to.deep.equal([]);
    });
  });

  describe("publishing under a delegation", function () {
    it("refuses a message carrying a delegation that expired before the relay got it, though the message is dated within its lifetime (a leaked session key must not outlive its session)", async function () {
      const owner = chain.clientOf(0);
      const streamId = await createTestStream(owner);
      const sessionPrivateKey = generatePrivateKey();
      const expiresAt = inSeconds(6); // room to sign in and publish once on a loaded machine
      const unsigned: Delegation = { delegate: privateKeyToAccount(sessionPrivateKey).address.toLowerCase() as Address, streamIds: [streamId], permissions: PUBLISH_BIT, expiresAt, salt: randomSalt() };
      const delegation = await signDelegation(unsigned, { signer: chain.accounts[0].privateKey, domain: domainOf(chain) });
      const publisher = createPublisher({ streamId, signer: signingAs(address(0), sessionPrivateKey), domain: domainOf(chain) });
      const inTime = { ...(await publisher.publish(new TextEncoder().encode('"in time"'))), delegation };
      const late = { ...(await publisher.publish(new TextEncoder().encode('"late"'))), delegation };
      const witness = await connect(chain.url);
      await witness.signIn(chain.accounts[0]);
      expect(await witness.request({ type: "subscribe", streamId })).to.include({ type: "subscribed" });
      const client = await connect(chain.url);
      expect(await client.request({ type: "publish", message: inTime })).to.include({ type: "published" });
      await until(() => Date.now() >= expiresAt * 1000, "the delegation to expire", 20_000);
      const refused = await client.request({ type: "publish", message: late });
      expect(refused).to.include({ type: "error", code: "MESSAGE_REJECTED", reason: "invalid-delegation" });
      expect(refused.message).to.match(/expired/);
      await publishAndWitness(streamId, "after");
      expect(contentsOf(witness, streamId)).to.deep.equal(["in time", "after"]);
    });
  });

  describe("subscribe with an access grant", function () {
    /** A private stream of #0 where `issuer` holds Grant only, and a grant signed by the issuer. */
    async function grantedStream(overrides: Partial<AccessGrant> = {}, { issuer = 2, signer = issuer }: { issuer?: number; signer?: number } = {}) {
      const owner = chain.clientOf(0);
      const streamId = await createTestStream(owner, { partitions: 2 });
      await owner.grantPermissions(streamId, { userId: address(issuer), permissions: [StreamPermission.GRANT] });
      const unsigned: AccessGrant = { grantee: address(3), streamId, permissions: SUBSCRIBE_BIT, expiresAt: inSeconds(3600), salt: randomSalt(), ...overrides };
      const grant = await signAccessGrant(unsigned, { signer: chain.accounts[signer].privateKey, domain: domainOf(chain) });
      return { owner, streamId, grant };
    }

    async function grantee(index = 3): Promise<RawClient> {
      const client = await connect(chain.url);
      expect(await client.signIn(chain.accounts[index])).to.include({ type: "authenticated" });
      return client;
    }

    async function refusedWith(client: RawClient, frame: Record<string, unknown>, pattern: RegExp) {
      const subscribed = () => client.frames.filter((f) => f.type === "subscribed").length;
      const before = subscribed();
      const reply = await client.request({ type: "subscribe", ...frame });
      expect(reply).to.include({ type: "error", code: "UNAUTHORIZED" });
      expect(reply.message).to.match(pattern);
      expect(subscribed()).to.equal(before);
    }

    it("admits the grantee, who holds nothing itself, and delivers the stream's messages", async function () {
      const { streamId, grant } = await grantedStream();
      const client = await grantee();
      expect(await client.request({ type: "subscribe", streamId })).to.include({ code: "UNAUTHORIZED" });
      expect(await client.request({ type: "subscribe", streamId, partition: 1, grant })).to.deep.include({ type: "subscribed", streamId, partition: 1 });
      expect(await client.request({ type: "subscribe", streamId, grant })).to.include({ type: "subscribed" });
      await publishAndWitness(streamId, { to: "grantee" });
      await waitForContent(client, streamId, { to: "grantee" });
    });

    it("refuses it from anyone but the grantee, on another stream, without the Subscribe bit, expired, tampered, or issued by someone without Grant", async function () {
      const { streamId, grant } = await grantedStream();
      const anonymous = await connect(chain.url);
      await refusedWith(anonymous, { streamId, grant }, /issued to .* not an anonymous connection/);
      await refusedWith(await grantee(4), { streamId, grant }, /it was issued to/);

      const client = await grantee();
      const otherStream = await createTestStream(chain.clientOf(0));
      await refusedWith(client, { streamId: otherStream, grant }, /it is for/);

      const publishOnly = (await grantedStream({ permissions: PUBLISH_BIT })).grant;
      await refusedWith(client, { streamId: publishOnly.streamId, grant: publishOnly }, /does not include subscribe/i);

      const expired = (await grantedStream({ expiresAt: inSeconds(-5) })).grant;
      await refusedWith(client, { streamId: expired.streamId, grant: expired }, /expired/);

      const tampered: SignedAccessGrant = { ...grant, expiresAt: grant.expiresAt + 3600 };
      await refusedWith(client, { streamId, grant: tampered }, /not signed by/);
      await refusedWith(client, { streamId, grant: { ...grant, extra: 1 } }, /Invalid access grant: extra is not a field/);

      // Signed by #4 (no Grant on the stream) and naming #4 as its issuer.
      const noGrant = (await grantedStream({}, { issuer: 2, signer: 4 })).grant;
      await refusedWith(client, { streamId: noGrant.streamId, grant: noGrant }, /does not hold grant/i);
    });

    it("is judged by the grant alone: a bad grant is refused even where the subscriber holds Subscribe", async function () {
      const { owner, streamId, grant } = await grantedStream({ permissions: PUBLISH_BIT });
      await owner.grantPermissions(streamId, { userId: address(3), permissions: [StreamPermission.SUBSCRIBE] });
      const client = await grantee();
      await refusedWith(client, { streamId, grant }, /does not include subscribe/i);
      expect(await client.request({ type: "subscribe", streamId })).to.include({ type: "subscribed" });
    });

    it("ends with PERMISSION_EXPIRED when the grant expires, and nothing is delivered after", async function () {
      const expiresAt = inSeconds(8); // room for the sign-in and subscribe on a loaded machine
      const { streamId, grant } = await grantedStream({ expiresAt });
      const client = await grantee();
      expect(await client.request({ type: "subscribe", streamId, grant })).to.include({ type: "subscribed" });
      const ended = await client.waitFor((frame) => frame.type === "unsubscribed", "unsubscribed");
      expect(ended).to.deep.equal({ type: "unsubscribed", streamId, partition: 0, reason: "PERMISSION_EXPIRED" });
      expect(Date.now()).to.be.at.least(expiresAt * 1000);
      await publishAndWitness(streamId, { after: "expiry" });
      expect(contentsOf(client, streamId)).to.deep.equal([]);
    });

    it("ends with PERMISSION_REVOKED when the issuer's Grant is revoked on chain, and nothing is delivered after", async function () {
      const { owner, streamId, grant } = await grantedStream();
      const client = await grantee();
      expect(await client.request({ type: "subscribe", streamId, grant })).to.include({ type: "subscribed" });
      await publishAndWitness(streamId, { before: "revocation" });
      await waitForContent(client, streamId, { before: "revocation" });
      await owner.revokePermissions(streamId, { userId: address(2), permissions: [StreamPermission.GRANT] });
      const ended = await client.waitFor((frame) => frame.type === "unsubscribed", "unsubscribed");
      expect(ended).to.deep.equal({ type: "unsubscribed", streamId, partition: 0, reason: "PERMISSION_REVOKED" });
      await publishAndWitness(streamId, { after: "revocation" });
      expect(contentsOf(client, streamId)).to.deep.equal([{ before: "revocation" }]);
      await refusedWith(client, { streamId, grant }, /does not hold grant/i);
    });

    it("ends with SESSION_EXPIRED when the grantee's sign-in expires", async function () {
      const { streamId, grant } = await grantedStream();
      const client = await connect(chain.url);
      await client.signIn(chain.accounts[3], { expirationTime: new Date(Date.now() + 6_000) });
      expect(await client.request({ type: "subscribe", streamId, grant })).to.include({ type: "subscribed" });
      const ended = await client.waitFor((frame) => frame.type === "unsubscribed", "unsubscribed");
      expect(ended).to.deep.equal({ type: "unsubscribed", streamId, partition: 0, reason: "SESSION_EXPIRED" });
    });
  });
});
