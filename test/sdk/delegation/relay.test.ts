import { expect } from "chai";
import type { Address } from "viem";
import {
  createSession,
  InvalidAccessGrantError,
  KeywayClient,
  MessageRejectedError,
  privateKeySigner,
  StreamPermission,
  UnauthorizedError,
  type MessageMetadata,
  type MessageSigner,
} from "../../../sdk";
import { type RelayOnChain, startRelayOnChain } from "../../relay/fixtures";
import { createTestStream, until } from "../../relay/helpers";
import { startTcpProxy } from "../relay/proxy";

const inAnHour = () => new Date(Date.now() + 3_600_000);

/** The relay's rejection reason, or "accepted". */
async function outcome(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return "accepted";
  } catch (error) {
    expect(error).to.be.instanceOf(MessageRejectedError);
    return (error as MessageRejectedError).reason;
  }
}

async function rejection(promise: Promise<unknown>): Promise<MessageRejectedError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(MessageRejectedError);
    return error as MessageRejectedError;
  }
  return expect.fail("the relay accepted the message");
}

describe("Sessions and access grants through a live relay", function () {
  let chain: RelayOnChain;
  let owner: KeywayClient;
  let clients: KeywayClient[] = [];
  const address = (index: number) => chain.accounts[index].account.address.toLowerCase() as Address;

  function clientOf(index: number, relayUrl = chain.url): KeywayClient {
    const client = new KeywayClient({ rpcUrl: chain.rpcUrl, registryAddress: chain.registryAddress, privateKey: chain.accounts[index].privateKey, relayUrl, pollingInterval: 200 });
    clients.push(client);
    return client;
  }

  before(async function () {
    chain = await startRelayOnChain();
    owner = chain.clientOf(0);
  });
  afterEach(() => {
    clients.forEach((client) => client.destroy());
    clients = [];
  });
  after(async () => {
    await chain?.stop();
  });

  it("a session publishes many messages as its holder with exactly one wallet signature; a subscriber gets them verified", async function () {
    const streamId = await createTestStream(owner);
    await owner.grantPermissions(streamId, { userId: address(1), permissions: [StreamPermission.SUBSCRIBE] });
    const received: MessageMetadata[] = [];
    await clientOf(1).subscribe(streamId, (_, metadata) => {
      received.push(metadata);
    });

    const holder = clientOf(0);
    let walletSignatures = 0;
    const key = privateKeySigner(chain.accounts[0].privateKey);
    const wallet: MessageSigner = { getAddress: key.getAddress, sign: (request) => {
      walletSignatures++;
      return key.sign(request);
    } };
    const session = await createSession(holder.context, { streamIds: [streamId], permissions: [StreamPermission.PUBLISH], expiresAt: inAnHour() }, { relayUrl: chain.url, holder: wallet, permissions: holder });
    try {
      for (let i = 0; i < 25; i++) {
        const message = await session.publish(streamId, { i });
        expect(message).to.include({ publisher: address(0) });
        expect(message).to.have.property("delegation").that.deep.equals(session.delegation);
      }
      await until(() => received.length === 25, "every message at the subscriber");
      expect(walletSignatures).to.equal(1);
      expect(received.every((metadata) => metadata.publisherId === address(0))).to.equal(true);
      expect(session.address).to.equal(address(0));

      await owner.revokePermissions(streamId, { userId: address(0), permissions: [StreamPermission.PUBLISH] });
      await until(async () => (await outcome(session.publish(streamId, { late: true }))) === "invalid-delegation", "the relay refusing the session");
    } finally {
      session.close();
    }
  });

  it("client.createSession needs a relay and a signer; a delegation of Edit is refused before any prompt", async function () {
    const streamId = await createTestStream(owner);
    const noRelay = new KeywayClient({ rpcUrl: chain.rpcUrl, registryAddress: chain.registryAddress, privateKey: chain.accounts[0].privateKey });
    clients.push(noRelay);
    expect(() => noRelay.createSession({ streamIds: [streamId], permissions: [StreamPermission.PUBLISH], expiresAt: inAnHour() })).to.throw(/relay/);
    let error: unknown;
    await clientOf(0)
      .createSession({ streamIds: [streamId], permissions: [StreamPermission.EDIT], expiresAt: inAnHour() })
      .catch((e: unknown) => (error = e));
    expect(error).to.have.property("code", "INVALID_ARGUMENT");
  });

  it("a grantee publishes through the relay with an access grant until its issuer loses Grant", async function () {
    const streamId = await createTestStream(owner);
    await owner.grantPermissions(streamId, { userId: address(2), permissions: [StreamPermission.GRANT] });
    const grant = await clientOf(2).issueAccessGrant({ streamId, grantee: address(3), permissions: [StreamPermission.PUBLISH], expiresAt: inAnHour() });
    expect(grant).to.include({ issuer: address(2), grantee: address(3), streamId });

    const grantee = clientOf(3);
    const message = await grantee.publish(streamId, { hello: 1 }, { grant: JSON.parse(JSON.stringify(grant)) });
    expect(message).to.include({ publisher: address(3) });
    expect((await rejection(grantee.publish(streamId, { without: "grant" }))).reason).to.equal("no-permission");
    expect((await rejection(clientOf(4).publish(streamId, { stolen: true }, { grant }))).reason).to.equal("invalid-grant");

    await owner.revokePermissions(streamId, { userId: address(2), permissions: [StreamPermission.GRANT] });
    await until(async () => (await outcome(grantee.publish(streamId, { late: true }, { grant }))) === "invalid-grant", "the relay refusing the grant");
  });

  it("session.subscribe signs in as the holder through the delegation: listed streams only, ended when the holder loses Subscribe", async function () {
    const streamId = await createTestStream(owner);
    const unlisted = await createTestStream(owner);
    for (const id of [streamId, unlisted]) await owner.grantPermissions(id, { userId: address(1), permissions: [StreamPermission.SUBSCRIBE] });
    const session = await clientOf(1).createSession({ streamIds: [streamId], permissions: [StreamPermission.SUBSCRIBE], expiresAt: inAnHour() });
    try {
      const received: unknown[] = [];
      const ends: string[] = [];
      const subscription = await session.subscribe(streamId, (content) => {
        received.push(content);
      });
      subscription.on("unsubscribed", (reason) => ends.push(reason));
      let refusal: unknown;
      await session.subscribe(unlisted, () => undefined).catch((error: unknown) => (refusal = error));
      expect(refusal).to.be.instanceOf(UnauthorizedError);
      expect(String((refusal as Error).cause)).to.match(/does not list/);

      await clientOf(0).publish(streamId, { n: 1 });
      await until(() => received.length === 1, "the message at the session");
      expect(received).to.deep.equal([{ n: 1 }]);
      await owner.revokePermissions(streamId, { userId: address(1), permissions: [StreamPermission.SUBSCRIBE] });
      await until(() => ends.length === 1, "the subscription to end");
      expect(ends).to.deep.equal(["PERMISSION_REVOKED"]);
    } finally {
      session.close();
    }
  });

  it("client.subscribe({ streamId, grant }) is admitted by the grant, keeps it across a dropped connection, and ends when the issuer loses Grant", async function () {
    const streamId = await createTestStream(owner);
    await owner.grantPermissions(streamId, { userId: address(2), permissions: [StreamPermission.GRANT] });
    const grant = await clientOf(2).issueAccessGrant({ streamId, grantee: address(3), permissions: [StreamPermission.SUBSCRIBE], expiresAt: inAnHour() });
    const proxy = await startTcpProxy(chain.relay.port);
    try {
      const grantee = clientOf(3, proxy.url);
      let refusal: unknown;
      await grantee.subscribe(streamId, () => undefined).catch((error: unknown) => (refusal = error));
      expect(refusal).to.be.instanceOf(UnauthorizedError);
      refusal = undefined;
      await grantee.subscribe({ streamId, grant: { ...grant, salt: "0x01" } as typeof grant }, () => undefined).catch((error: unknown) => (refusal = error));
      expect(refusal).to.be.instanceOf(InvalidAccessGrantError);

      const received: unknown[] = [];
      const ends: string[] = [];
      const subscription = await grantee.subscribe({ streamId, grant: JSON.parse(JSON.stringify(grant)) }, (content) => {
        received.push(content);
      });
      subscription.on("unsubscribed", (reason) => ends.push(reason));
      const publisher = clientOf(0);
      await publisher.publish(streamId, { n: 1 });
      await until(() => received.length === 1, "the first message");
      proxy.dropAll();
      // Resubscribed with the grant (without it the relay would refuse: the grantee holds nothing).
      await publisher.publish(streamId, { n: 2 });
      await until(() => received.length === 2, "the message after the drop");
      expect(received).to.deep.equal([{ n: 1 }, { n: 2 }]);
      expect(ends).to.deep.equal([]);

      await owner.revokePermissions(streamId, { userId: address(2), permissions: [StreamPermission.GRANT] });
      await until(() => ends.length === 1, "the subscription to end");
      expect(ends).to.deep.equal(["PERMISSION_REVOKED"]);
      await publisher.publish(streamId, { n: 3 });
      expect(received).to.deep.equal([{ n: 1 }, { n: 2 }]);
    } finally {
      await proxy.close();
    }
  });
});
