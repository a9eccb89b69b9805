import { expect } from "chai";
import { createPublicClient, getAddress, zeroAddress } from "viem";
import {
  createStream,
  deleteStream,
  FOREVER,
  getPermissions,
  getStreamMetadata,
  grantPermissions,
  InvalidAddressError,
  InvalidArgumentError,
  InvalidPermissionError,
  InvalidStreamIdError,
  KeywayClient,
  KeywayError,
  MissingSignerError,
  RegistryNotFoundError,
  revokePermissions,
  setPermissions,
  StreamAlreadyExistsError,
  streamExists,
  StreamNotFoundError,
  StreamPermission,
  UnauthorizedError,
  updateStreamMetadata,
  WrongChainError,
  type Deployment,
} from "../../sdk";
import { chainNow, clientOf, deployFresh, destroyClients, publicClient, transport } from "./fixtures";

const { EDIT, DELETE, PUBLISH, SUBSCRIBE, GRANT } = StreamPermission;
const ALL = [EDIT, DELETE, PUBLISH, SUBSCRIBE, GRANT];

/** Resolves with what `promise` rejected with; fails if it resolved. */
async function rejection(promise: Promise<unknown>): Promise<KeywayError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(KeywayError);
    return error as KeywayError;
  }
  expect.fail("expected a rejection");
}

describe("KeywayClient (in-process Hardhat)", () => {
  let deployment: Deployment;
  let owner: KeywayClient;
  let bob: KeywayClient;
  let bobId: string;
  let ownerId: string;
  let path = 0;
  const freshPath = () => `/client/s${++path}`;

  before(async () => {
    deployment = await deployFresh();
    owner = clientOf(deployment, 0);
    bob = clientOf(deployment, 1);
    ownerId = await owner.getUserId();
    bobId = await bob.getUserId();
  });
  after(destroyClients);

  it("exposes the signer, the chain and the checksummed registry address", async () => {
    expect(ownerId).to.equal(ownerId.toLowerCase()).and.match(/^0x[0-9a-f]{40}$/);
    expect(await owner.getChainId()).to.equal(31337);
    expect(owner.registryAddress).to.equal(getAddress(deployment.registryAddress));
    expect(owner.deployBlock).to.equal(deployment.deployBlock);
  });

  it("createStream returns a Stream with its receipt; the creator holds everything forever", async () => {
    const p = freshPath();
    const stream = await owner.createStream(p, { metadata: '{"unit":"C"}' });
    expect(stream.id).to.equal(`${ownerId}${p}`);
    expect(stream.receipt?.status).to.equal("success");
    expect(await stream.getMetadata()).to.equal('{"unit":"C"}');
    expect(await stream.getPermissions()).to.deep.equal([{ userId: ownerId, permissions: ALL }]);
    expect(await owner.getPermissionExpiry({ streamId: stream.id, userId: ownerId, permission: GRANT })).to.equal(FOREVER);
  });

  it("getStream normalises a checksummed id and finds the stream", async () => {
    const p = freshPath();
    await owner.createStream(p);
    const stream = await bob.getStream(`${getAddress(ownerId)}${p}`);
    expect(stream.id).to.equal(`${ownerId}${p}`);
  });

  it("grants to users and the public in one transaction, with the Streamr shapes", async () => {
    const stream = await owner.createStream(freshPath());
    const expiresAt = new Date(((await chainNow()) + 3600) * 1000);
    const receipt = await stream.grantPermissions(
      { userId: getAddress(bobId), permissions: [SUBSCRIBE, PUBLISH], expiresAt: { publish: expiresAt } },
      { public: true, permissions: [SUBSCRIBE] },
    );
    expect(receipt.status).to.equal("success");
    expect(await stream.getPermissions()).to.deep.equal([
      { userId: ownerId, permissions: ALL },
      { userId: bobId, permissions: [PUBLISH, SUBSCRIBE], expiresAt: { publish: expiresAt } },
      { public: true, permissions: [SUBSCRIBE] },
    ]);
    expect(await bob.hasPermission({ streamId: stream.id, userId: bobId, permission: PUBLISH, allowPublic: false })).to.equal(true);
    expect(await bob.getPermissionExpiry({ streamId: stream.id, userId: bobId, permission: PUBLISH })).to.equal(expiresAt.getTime() / 1000);
    expect(await bob.hasPermission({ streamId: stream.id, public: true, permission: SUBSCRIBE })).to.equal(true);
    expect(await bob.hasPermission({ streamId: stream.id, public: true, permission: PUBLISH })).to.equal(false);
    const carol = "0x" + "c".repeat(40);
    expect(await bob.hasPermission({ streamId: stream.id, userId: carol, permission: SUBSCRIBE, allowPublic: true })).to.equal(true);
    expect(await bob.hasPermission({ streamId: stream.id, userId: carol, permission: SUBSCRIBE, allowPublic: false })).to.equal(false);
    expect(await bob.hasPermission({ streamId: stream.id, userId: carol, permission: SUBSCRIBE })).to.equal(false);
  });

  it("revokes in one transaction, and a holder may renounce its own permissions", async () => {
    const stream = await owner.createStream(freshPath());
    await stream.grantPermissions({ userId: bobId, permissions: [PUBLISH, SUBSCRIBE] }, { public: true, permissions: [SUBSCRIBE] });
    await stream.revokePermissions({ public: true, permissions: [SUBSCRIBE] }, { userId: bobId, permissions: [PUBLISH] });
    expect(await stream.getPermissions()).to.deep.equal([
      { userId: ownerId, permissions: ALL },
      { userId: bobId, permissions: [SUBSCRIBE] },
    ]);
    await bob.revokePermissions(stream.id, { userId: bobId, permissions: [SUBSCRIBE] });
    expect(await stream.getPermissions()).to.deep.equal([{ userId: ownerId, permissions: ALL }]);
  });

  it("setPermissions overwrites one stream, or several in one transaction", async () => {
    const a = await owner.createStream(freshPath());
    const b = await owner.createStream(freshPath());
    await a.grantPermissions({ userId: bobId, permissions: [PUBLISH, SUBSCRIBE] });
    await owner.setPermissions({ streamId: a.id, assignments: [{ userId: bobId, permissions: [EDIT] }] });
    expect(await a.getPermissions()).to.deep.equal([{ userId: ownerId, permissions: ALL }, { userId: bobId, permissions: [EDIT] }]);

    const receipt = await owner.setPermissions(
      { streamId: a.id, assignments: [{ userId: bobId, permissions: [] }] },
      { streamId: b.id, assignments: [{ public: true, permissions: [PUBLISH] }, { userId: ownerId, permissions: [GRANT] }] },
    );
    expect(receipt.status).to.equal("success");
    expect(await a.getPermissions()).to.deep.equal([{ userId: ownerId, permissions: ALL }]);
    expect(await b.getPermissions()).to.deep.equal([{ userId: ownerId, permissions: [GRANT] }, { public: true, permissions: [PUBLISH] }]);
  });

  it("updates metadata and deletes streams, through the Stream and the client", async () => {
    const stream = await owner.createStream(freshPath(), { metadata: "a" });
    await stream.setMetadata("b");
    expect(await owner.getStreamMetadata(stream.id)).to.equal("b");
    await stream.delete();
    expect(await rejection(owner.getStream(stream.id))).to.be.instanceOf(StreamNotFoundError);
    const other = await owner.createStream(freshPath());
    await owner.deleteStream(other.id);
    expect(await rejection(other.getMetadata())).to.be.instanceOf(StreamNotFoundError);
  });

  it("reports a write's hash through onTransactionSent before resolving with its receipt", async () => {
    const sent: [string, string][] = [];
    const client = clientOf(deployment, 0, { onTransactionSent: (hash, fn) => sent.push([hash, fn]) });
    const stream = await client.createStream(freshPath());
    const receipt = await stream.grantPermissions({ public: true, permissions: [SUBSCRIBE] });
    expect(sent).to.deep.equal([
      [stream.receipt!.transactionHash, "createStream"],
      [receipt.transactionHash, "grantPermissions"],
    ]);
  });

  it("the actions take (context, parameters): a write's gas and onSent ride in its parameters", async () => {
    const sent: string[] = [];
    const onSent = (_hash: string, functionName: string) => sent.push(functionName);
    const { context } = owner;
    const { streamId, receipt } = await createStream(context, { path: freshPath(), metadata: "a", onSent });
    expect(receipt.status).to.equal("success");
    expect(await streamExists(context, { streamId })).to.equal(true);
    const grant = await grantPermissions(context, { streamId, assignments: [{ userId: bobId, permissions: [PUBLISH] }], gas: 345_678n, onSent });
    expect((await publicClient().getTransaction({ hash: grant.transactionHash })).gas).to.equal(345_678n);
    await revokePermissions(context, { streamId, assignments: [{ userId: bobId, permissions: [PUBLISH] }], onSent });
    await setPermissions(context, { updates: [{ streamId, assignments: [{ public: true, permissions: [SUBSCRIBE] }] }], onSent });
    expect(await getPermissions(context, { streamId })).to.deep.equal([{ userId: ownerId, permissions: ALL }, { public: true, permissions: [SUBSCRIBE] }]);
    await updateStreamMetadata(context, { streamId, metadata: "b", onSent });
    expect(await getStreamMetadata(context, { streamId })).to.equal("b");
    expect(await streamExists(context, streamId), "the earlier form, which outside tools still call").to.equal(true);
    await deleteStream(context, { streamId, onSent });
    expect(await streamExists(context, { streamId })).to.equal(false);
    expect(await streamExists(context, streamId)).to.equal(false);
    expect(sent).to.deep.equal(["createStream", "grantPermissions", "revokePermissions", "setPermissions", "updateStreamMetadata", "deleteStream"]);
  });

  it("an action refuses too little gas and the old positional shape with typed errors, and writes nothing", async () => {
    const stream = await owner.createStream(freshPath());
    const block = await publicClient().getBlockNumber();
    const starved = await rejection(grantPermissions(owner.context, { streamId: stream.id, assignments: [{ userId: bobId, permissions: [PUBLISH] }], gas: 21_000n }));
    expect(starved.code, "the node refuses a call below the intrinsic gas").to.equal("RPC_ERROR");
    const positional = await rejection(deleteStream(owner.context, stream.id as never));
    expect(positional).to.be.instanceOf(InvalidStreamIdError);
    expect(await publicClient().getBlockNumber()).to.equal(block);
    expect(await stream.getPermissions()).to.deep.equal([{ userId: ownerId, permissions: ALL }]);
  });

  describe("errors", () => {
    let streamId: string;
    before(async () => {
      streamId = (await owner.createStream(freshPath(), { metadata: "m" })).id;
    });

    /** Runs `write`, expects it rejected, and that nothing changed on the stream. */
    async function rejectedWithoutChange(write: () => Promise<unknown>): Promise<KeywayError> {
      const before = await owner.getPermissions(streamId);
      const block = await publicClient().getBlockNumber();
      const error = await rejection(write());
      expect(await owner.getPermissions(streamId)).to.deep.equal(before);
      expect(await owner.getStreamMetadata(streamId)).to.equal("m");
      expect(await publicClient().getBlockNumber()).to.equal(block, "no transaction was mined");
      return error;
    }

    it("unknown stream: StreamNotFoundError from reads and writes; permission views answer no", async () => {
      const missing = `${ownerId}/does/not/exist`;
      for (const call of [
        () => owner.getStream(missing),
        () => owner.getPermissions(missing),
        () => owner.getStreamMetadata(missing),
        () => owner.deleteStream(missing),
        () => owner.updateStreamMetadata(missing, "x"),
        () => owner.grantPermissions(missing, { public: true, permissions: [SUBSCRIBE] }),
        () => owner.revokePermissions(missing, { public: true, permissions: [SUBSCRIBE] }),
        () => owner.setPermissions({ streamId: missing, assignments: [{ userId: bobId, permissions: [] }] }),
      ]) {
        const error = await rejection(call());
        expect(error).to.be.instanceOf(StreamNotFoundError);
        expect((error as StreamNotFoundError).streamId).to.equal(missing);
      }
      expect(await owner.hasPermission({ streamId: missing, userId: ownerId, permission: EDIT })).to.equal(false);
    });

    it("missing permission: UnauthorizedError naming the account and the permission, nothing changed", async () => {
      const cases: [() => Promise<unknown>, StreamPermission][] = [
        [() => bob.updateStreamMetadata(streamId, "x"), EDIT],
        [() => bob.deleteStream(streamId), DELETE],
        [() => bob.grantPermissions(streamId, { userId: bobId, permissions: [PUBLISH] }), GRANT],
        [() => bob.revokePermissions(streamId, { userId: ownerId, permissions: [PUBLISH] }), GRANT],
        [() => bob.setPermissions({ streamId, assignments: [{ userId: bobId, permissions: [PUBLISH] }] }), GRANT],
      ];
      for (const [write, permission] of cases) {
        const error = await rejectedWithoutChange(write);
        expect(error).to.be.instanceOf(UnauthorizedError);
        expect(error).to.include({ code: "UNAUTHORIZED", streamId, account: bobId, permission });
        expect(error.cause, "keeps the viem error").to.be.instanceOf(Error);
      }
    });

    it("creating an existing stream: StreamAlreadyExistsError", async () => {
      const p = freshPath();
      await owner.createStream(p);
      expect(await rejection(owner.createStream(p))).to.be.instanceOf(StreamAlreadyExistsError);
    });

    it("bad stream ids and paths: InvalidStreamIdError before any RPC call", async () => {
      for (const bad of ["", "nope", "0x1234/a", `${ownerId}`, `${ownerId}/`, `${ownerId}//a`, `${ownerId}/a b`, `${ownerId}/${"a".repeat(256)}`]) {
        for (const call of [() => owner.getStream(bad), () => owner.hasPermission({ streamId: bad, public: true, permission: SUBSCRIBE })]) {
          expect(await rejection(call())).to.be.instanceOf(InvalidStreamIdError);
        }
      }
      for (const bad of ["", "a", "/a/", "/a//b", "/ä"]) {
        expect(await rejectedWithoutChange(() => owner.createStream(bad))).to.be.instanceOf(InvalidStreamIdError);
      }
    });

    it("malformed assignments: typed errors, nothing sent", async () => {
      const past = new Date("2001-01-01"); // past on every chain's clock, whatever the local one says
      const cases: [() => Promise<unknown>, Function][] = [
        [() => owner.grantPermissions(streamId, { userId: "0x123", permissions: [PUBLISH] }), InvalidAddressError],
        [() => owner.grantPermissions(streamId, { userId: "0x" + "aB".repeat(20), permissions: [PUBLISH] }), InvalidAddressError],
        [() => owner.grantPermissions(streamId, { userId: zeroAddress, permissions: [PUBLISH] }), InvalidAddressError],
        [() => owner.grantPermissions(streamId, { userId: bobId, permissions: ["own" as StreamPermission] }), InvalidPermissionError],
        [() => owner.grantPermissions(streamId, { public: true, permissions: [EDIT] }), InvalidPermissionError],
        [() => owner.grantPermissions(streamId, { public: true, permissions: [GRANT] }), InvalidPermissionError],
        [() => owner.grantPermissions(streamId, { userId: bobId, permissions: [PUBLISH], expiresAt: { publish: past } }), InvalidArgumentError],
        [() => owner.grantPermissions(streamId, { userId: bobId, permissions: [PUBLISH], expiresAt: { subscribe: new Date(Date.now() + 9e6) } }), InvalidArgumentError],
        [() => owner.grantPermissions(streamId, { userId: bobId, permissions: [] }), InvalidArgumentError],
        [() => owner.grantPermissions(streamId, { userId: bobId, permissions: [PUBLISH, PUBLISH] }), InvalidArgumentError],
        [() => owner.grantPermissions(streamId, { userId: bobId, permissions: [PUBLISH] }, { userId: getAddress(bobId), permissions: [EDIT] }), InvalidArgumentError],
        [() => owner.grantPermissions(streamId), InvalidArgumentError],
        [() => owner.revokePermissions(streamId, { userId: bobId, permissions: [PUBLISH], expiresAt: {} }), InvalidArgumentError],
        [() => owner.setPermissions(), InvalidArgumentError],
        [() => owner.setPermissions({ streamId, assignments: [] }, { streamId: getAddress(ownerId) + streamId.slice(42), assignments: [] }), InvalidArgumentError],
        [() => owner.hasPermission({ streamId, userId: "bob", permission: PUBLISH }), InvalidAddressError],
        [() => owner.hasPermission({ streamId, userId: bobId, permission: "read" as StreamPermission }), InvalidPermissionError],
      ];
      for (const [write, type] of cases) expect(await rejectedWithoutChange(write)).to.be.instanceOf(type);
    });

    it("an expiry already past on chain is rejected as InvalidArgumentError decoded from ExpiryInPast", async () => {
      // The latest block's time: the next block's is later. (test/sdk/chainClock.test.ts: chain and local clocks apart.)
      const past = new Date((await chainNow()) * 1000);
      const error = await rejectedWithoutChange(() => owner.grantPermissions(streamId, { userId: bobId, permissions: [PUBLISH], expiresAt: { publish: past } }));
      expect(error).to.be.instanceOf(InvalidArgumentError);
      expect(error.cause).to.be.instanceOf(Error);
    });

    it("writes without a signer: MissingSignerError; reads work without one", async () => {
      const reader = clientOf(deployment, undefined);
      expect(await rejection(reader.getUserId())).to.be.instanceOf(MissingSignerError);
      expect(await rejection(reader.createStream("/x"))).to.be.instanceOf(MissingSignerError);
      expect(await rejectedWithoutChange(() => reader.grantPermissions(streamId, { userId: bobId, permissions: [PUBLISH] }))).to.be.instanceOf(MissingSignerError);
      expect(await reader.getPermissions(streamId)).to.deep.equal(await owner.getPermissions(streamId));
    });

    it("a node on another chain than configured: WrongChainError for reads and writes", async () => {
      // A public client without a chain of its own: only the deployment says which chain to expect.
      const wrong = clientOf({ ...deployment, chainId: 1 }, 0, { publicClient: createPublicClient({ transport: transport() }) });
      for (const call of [
        () => wrong.getPermissions(streamId),
        () => wrong.hasPermission({ streamId, public: true, permission: SUBSCRIBE }),
        () => wrong.getStream(streamId),
      ]) {
        expect(await rejection(call())).to.include({ code: "WRONG_CHAIN", expectedChainId: 1, actualChainId: 31337 });
      }
      expect(await rejectedWithoutChange(() => wrong.grantPermissions(streamId, { public: true, permissions: [SUBSCRIBE] }))).to.be.instanceOf(WrongChainError);
    });

    it("an address without code: RegistryNotFoundError for reads and writes, no transaction sent", async () => {
      const nowhere = clientOf({ ...deployment, registryAddress: getAddress("0x" + "ee".repeat(20)) }, 0);
      for (const call of [
        () => nowhere.getStream(streamId),
        () => nowhere.hasPermission({ streamId, public: true, permission: SUBSCRIBE }),
        () => nowhere.createStream("/x"),
        () => nowhere.grantPermissions(streamId, { public: true, permissions: [SUBSCRIBE] }),
      ]) {
        const block = await publicClient().getBlockNumber();
        const error = await rejection(call());
        expect(error).to.be.instanceOf(RegistryNotFoundError);
        expect(error).to.include({ code: "REGISTRY_NOT_FOUND", registryAddress: getAddress("0x" + "ee".repeat(20)) });
        expect(await publicClient().getBlockNumber()).to.equal(block, "no transaction was mined");
      }
    });

    it("bad construction options: typed errors", () => {
      expect(() => new KeywayClient({ publicClient: publicClient() })).to.throw(InvalidArgumentError);
      expect(() => new KeywayClient({ publicClient: publicClient(), registryAddress: "0x12" })).to.throw(InvalidAddressError);
      expect(() => new KeywayClient({ publicClient: publicClient(), deployment, privateKey: "0x12" })).to.throw(InvalidArgumentError);
      // 0 and n (secp256k1's order) are 64 hex digits but no key: refused as such, the value not echoed.
      for (const key of ["0x" + "0".repeat(64), "0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"] as `0x${string}`[]) {
        expect(() => new KeywayClient({ publicClient: publicClient(), deployment, privateKey: key })).to.throw(InvalidArgumentError, /^privateKey must be/);
      }
      expect(() => new KeywayClient({ publicClient: publicClient(), deployment, logPageSize: 0 })).to.throw(InvalidArgumentError);
      expect(() => new KeywayClient({ publicClient: publicClient(), deployment, cache: { maxAgeMs: -1 } })).to.throw(InvalidArgumentError);
      expect(() => new KeywayClient({ registryAddress: deployment.registryAddress })).to.throw(InvalidArgumentError);
    });
  });
});
