import { expect } from "chai";
import { FOREVER, StreamPermission, type Deployment, type KeywayClient } from "../../sdk";
import { streamRegistryAbi } from "../../sdk/abi";
import { chainNow, clientOf, deployFresh, destroyClients, KEYS, publicClient, recordingPublicClient, timeTravel, walletClientOf } from "./fixtures";

const { EDIT, DELETE, PUBLISH, SUBSCRIBE, GRANT } = StreamPermission;
const ALL = [EDIT, DELETE, PUBLISH, SUBSCRIBE, GRANT];

describe("getPermissions: rebuilt from logs and state", () => {
  let deployment: Deployment;
  let owner: KeywayClient;
  let ownerId: string;
  const users = KEYS.slice(1).map((key) => walletClientOf(key).account.address.toLowerCase());

  before(async () => {
    deployment = await deployFresh();
    // A page of 2 blocks: every stream below spans several pages.
    owner = clientOf(deployment, 0, { logPageSize: 2 });
    ownerId = await owner.getUserId();
  });
  after(destroyClients);

  it("follows grants, revokes and overwrites across many log pages", async () => {
    const stream = await owner.createStream("/pages");
    await stream.grantPermissions({ userId: users[0], permissions: [PUBLISH, SUBSCRIBE] });
    await stream.grantPermissions({ userId: users[1], permissions: [SUBSCRIBE] }, { public: true, permissions: [SUBSCRIBE] });
    await stream.revokePermissions({ userId: users[0], permissions: [SUBSCRIBE] });
    await owner.setPermissions({ streamId: stream.id, assignments: [{ userId: users[1], permissions: [GRANT, EDIT] }] });
    await stream.grantPermissions({ userId: users[2], permissions: [PUBLISH] });
    await stream.revokePermissions({ userId: users[2], permissions: [PUBLISH] });
    const created = Number(stream.receipt!.blockNumber);
    const latest = Number(await publicClient().getBlockNumber());
    const methods: string[] = [];
    const reader = clientOf(deployment, undefined, { logPageSize: 2, publicClient: recordingPublicClient(methods) });
    expect(await reader.getPermissions(stream.id)).to.deep.equal([
      { userId: ownerId, permissions: ALL },
      { userId: users[0], permissions: [PUBLISH] },
      { userId: users[1], permissions: [EDIT, GRANT] },
      { public: true, permissions: [SUBSCRIBE] },
    ]);
    expect(methods.filter((m) => m === "eth_getLogs")).to.have.length(Math.ceil((latest - created + 1) / 2));
    expect(latest - created + 1, "blocks to scan").to.be.greaterThan(3 * 2);
    // Whatever the page size, the same answer.
    expect(await clientOf(deployment, 0, { logPageSize: 1 }).getPermissions(stream.id)).to.deep.equal(await stream.getPermissions());
    expect(await clientOf(deployment, 0, { logPageSize: 10_000 }).getPermissions(stream.id)).to.deep.equal(await stream.getPermissions());
  });

  it("leaves out expired permissions by the chain's clock, and keeps expiresAt for the others", async () => {
    const stream = await owner.createStream("/expiries");
    const now = await chainNow();
    const soon = new Date((now + 100) * 1000);
    const later = new Date((now + 10_000) * 1000);
    await stream.grantPermissions(
      { userId: users[0], permissions: [PUBLISH, SUBSCRIBE], expiresAt: { publish: soon, subscribe: later } },
      { userId: users[1], permissions: [SUBSCRIBE], expiresAt: { subscribe: soon } },
      { public: true, permissions: [SUBSCRIBE], expiresAt: { subscribe: later } },
    );
    expect(await stream.getPermissions()).to.deep.equal([
      { userId: ownerId, permissions: ALL },
      { userId: users[0], permissions: [PUBLISH, SUBSCRIBE], expiresAt: { publish: soon, subscribe: later } },
      { userId: users[1], permissions: [SUBSCRIBE], expiresAt: { subscribe: soon } },
      { public: true, permissions: [SUBSCRIBE], expiresAt: { subscribe: later } },
    ]);
    await timeTravel(200);
    expect(await stream.getPermissions()).to.deep.equal([
      { userId: ownerId, permissions: ALL },
      { userId: users[0], permissions: [SUBSCRIBE], expiresAt: { subscribe: later } },
      { public: true, permissions: [SUBSCRIBE], expiresAt: { subscribe: later } },
    ]);
    expect(await owner.getPermissionExpiry({ streamId: stream.id, userId: users[0], permission: PUBLISH })).to.equal(0);
    expect(await owner.getPermissionExpiry({ streamId: stream.id, userId: users[0], permission: SUBSCRIBE })).to.equal(later.getTime() / 1000);
  });

  it("a grant may shorten a permission; the later of direct and public expiry counts with allowPublic", async () => {
    const stream = await owner.createStream("/shorten");
    const now = await chainNow();
    await stream.grantPermissions({ userId: users[0], permissions: [SUBSCRIBE] });
    await stream.grantPermissions({ userId: users[0], permissions: [SUBSCRIBE], expiresAt: { subscribe: new Date((now + 50) * 1000) } });
    await stream.grantPermissions({ public: true, permissions: [SUBSCRIBE], expiresAt: { subscribe: new Date((now + 500) * 1000) } });
    const query = { streamId: stream.id, userId: users[0], permission: SUBSCRIBE };
    expect(await owner.getPermissionExpiry(query)).to.equal(now + 50);
    expect(await owner.getPermissionExpiry({ ...query, allowPublic: true })).to.equal(now + 500);
    await stream.grantPermissions({ public: true, permissions: [SUBSCRIBE] });
    expect(await clientOf(deployment, 0, { cache: false }).getPermissionExpiry({ ...query, allowPublic: true })).to.equal(FOREVER);
  });

  it("a stream deleted and created again starts with only its creator", async () => {
    const stream = await owner.createStream("/again");
    await stream.grantPermissions({ userId: users[0], permissions: [PUBLISH] }, { public: true, permissions: [SUBSCRIBE] });
    await stream.delete();
    const again = await owner.createStream("/again");
    expect(again.id).to.equal(stream.id);
    expect(await again.getPermissions()).to.deep.equal([{ userId: ownerId, permissions: ALL }]);
    expect(await owner.hasPermission({ streamId: again.id, userId: users[0], permission: PUBLISH })).to.equal(false);
    await again.grantPermissions({ userId: users[1], permissions: [SUBSCRIBE] });
    expect(await again.getPermissions()).to.deep.equal([{ userId: ownerId, permissions: ALL }, { userId: users[1], permissions: [SUBSCRIBE] }]);
  });

  it("deleted and created again in one block: the creator first, an old-incarnation holder only where the new one named it", async () => {
    const stream = await owner.createStream("/same-block");
    const wallet = walletClientOf(KEYS[0]);
    const provider = publicClient();
    const send = (functionName: "grantPermission" | "deleteStream" | "createStream", args: readonly unknown[]) =>
      wallet.writeContract({ address: deployment.registryAddress, abi: streamRegistryAbi, functionName, args, gas: 1_000_000n } as never);
    await provider.request({ method: "evm_setAutomine" as never, params: [false] as never });
    try {
      await send("grantPermission", [stream.id, users[0], 2]); // Publish, in the old incarnation
      await send("deleteStream", [stream.id]);
      await send("createStream", ["/same-block", ""]);
      await send("grantPermission", [stream.id, users[0], 3]); // Subscribe, in the new one
      await provider.request({ method: "evm_mine" as never, params: [] as never });
    } finally {
      await provider.request({ method: "evm_setAutomine" as never, params: [true] as never });
    }
    const { logs } = await provider.getTransactionReceipt({ hash: (await provider.getBlock({ includeTransactions: true })).transactions[3].hash });
    expect(logs, "all four in one block, the last one mined").to.have.length(1);
    expect(await clientOf(deployment, undefined, { cache: false }).getPermissions(stream.id)).to.deep.equal([
      { userId: ownerId, permissions: ALL },
      { userId: users[0], permissions: [SUBSCRIBE] },
    ]);
  });

  it("a holder with everything revoked, the creator included, does not appear", async () => {
    const stream = await owner.createStream("/empty");
    await stream.grantPermissions({ userId: users[0], permissions: [GRANT] });
    const delegate = clientOf(deployment, 1);
    await delegate.revokePermissions(stream.id, { userId: ownerId, permissions: ALL });
    expect(await stream.getPermissions()).to.deep.equal([{ userId: users[0], permissions: [GRANT] }]);
  });
});
