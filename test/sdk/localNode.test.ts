import { expect } from "chai";
import { JsonRpcProvider, Wallet } from "ethers";
import { createPublicClient, http } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { startLocalNode, type LocalNode } from "../../scripts/localNode";
import { deployStreamRegistry, KeywayClient, StreamPermission, UnauthorizedError, type Deployment } from "../../sdk";
import { revertAwareFetch } from "../../sdk/revertData";
import { KEYS } from "./fixtures";
import { createWalletClient } from "viem";

const { PUBLISH, SUBSCRIBE, GRANT, EDIT, DELETE } = StreamPermission;

describe("KeywayClient against a Hardhat node over HTTP", function () {
  let node: LocalNode;
  let deployment: Deployment;
  const clients: KeywayClient[] = [];
  const track = (client: KeywayClient) => (clients.push(client), client);
  let provider: JsonRpcProvider | undefined;

  before(async function () {
    this.timeout(120_000);
    node = await startLocalNode();
    const deployer = createWalletClient({ account: privateKeyToAccount(KEYS[0]), transport: http(node.url) });
    deployment = await deployStreamRegistry(deployer, { network: "localhost" });
  });
  after(async () => {
    clients.forEach((client) => client.destroy());
    provider?.destroy();
    await node?.stop();
  });

  it("works from rpcUrl + privateKey + deployment", async () => {
    const client = track(new KeywayClient({ rpcUrl: node.url, privateKey: KEYS[0], deployment }));
    const stream = await client.createStream("/http", { metadata: "x" });
    const bob = privateKeyToAccount(KEYS[1]).address.toLowerCase();
    await stream.grantPermissions({ userId: bob, permissions: [PUBLISH] });
    expect(await stream.getPermissions()).to.deep.equal([
      { userId: await client.getUserId(), permissions: [EDIT, DELETE, PUBLISH, SUBSCRIBE, GRANT] },
      { userId: bob, permissions: [PUBLISH] },
    ]);
    const other = track(new KeywayClient({ rpcUrl: node.url, privateKey: KEYS[1], deployment }));
    const error = await other.deleteStream(stream.id).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(UnauthorizedError);
  });

  it("works with an ethers v6 Wallet on a JsonRpcProvider (signing through the adapter)", async () => {
    provider = new JsonRpcProvider(node.url, undefined, { staticNetwork: true });
    const wallet = new Wallet(KEYS[2], provider);
    const client = track(new KeywayClient({ ethersSigner: wallet, deployment }));
    expect(await client.getUserId()).to.equal(wallet.address.toLowerCase());
    const stream = await client.createStream("/ethers");
    await stream.grantPermissions({ public: true, permissions: [SUBSCRIBE] });
    expect(await stream.getPermissions()).to.deep.equal([
      { userId: wallet.address.toLowerCase(), permissions: [EDIT, DELETE, PUBLISH, SUBSCRIBE, GRANT] },
      { public: true, permissions: [SUBSCRIBE] },
    ]);
    expect(await client.hasPermission({ streamId: stream.id, public: true, permission: SUBSCRIBE })).to.equal(true);
    // Reverts come through ethers' errors and are still decoded.
    const reader = track(new KeywayClient({ ethersProvider: provider, deployment }));
    expect(await reader.getStream(stream.id)).to.have.property("id", stream.id);
    const error = await track(new KeywayClient({ ethersSigner: new Wallet(KEYS[3], provider), deployment }))
      .deleteStream(stream.id)
      .catch((e: unknown) => e);
    expect(error).to.be.instanceOf(UnauthorizedError);
  });

  it("works with an ethers JsonRpcSigner (the node holds the key and sends)", async () => {
    provider ??= new JsonRpcProvider(node.url, undefined, { staticNetwork: true });
    const signer = await provider.getSigner(4);
    const client = track(new KeywayClient({ ethersSigner: signer, deployment }));
    const stream = await client.createStream("/json-rpc-signer");
    expect(stream.id).to.equal(`${signer.address.toLowerCase()}/json-rpc-signer`);
    await stream.revokePermissions({ userId: signer.address, permissions: [DELETE] });
    expect(await stream.getPermissions()).to.deep.equal([{ userId: signer.address.toLowerCase(), permissions: [EDIT, PUBLISH, SUBSCRIBE, GRANT] }]);
    expect(await stream.delete().catch((e: unknown) => e)).to.be.instanceOf(UnauthorizedError);
  });

  it("decodes a revert over HTTP at once, without viem's retries (Hardhat answers reverts as internal errors)", async () => {
    const creator = track(new KeywayClient({ rpcUrl: node.url, privateKey: KEYS[0], deployment }));
    const stream = await creator.createStream("/revert");
    const methods: string[] = [];
    const publicClient = createPublicClient({
      transport: http(node.url, {
        fetchFn: revertAwareFetch,
        onFetchRequest: async (request) => {
          methods.push((await request.clone().json()).method);
        },
      }),
    });
    const stranger = track(new KeywayClient({ publicClient, privateKey: KEYS[1], deployment }));
    const error = await stranger.deleteStream(stream.id).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(UnauthorizedError);
    expect(methods.filter((m) => m === "eth_call"), "the simulation, sent once").to.have.length(1);
    expect(methods).to.not.include("eth_sendRawTransaction");
  });

  it("counts the HTTP requests and JSON-RPC calls of a cold and a warm hasPermission", async () => {
    const creator = track(new KeywayClient({ rpcUrl: node.url, privateKey: KEYS[0], deployment }));
    const stream = await creator.createStream("/count");
    let requests = 0;
    let calls = 0;
    const publicClient = createPublicClient({
      transport: http(node.url, {
        batch: true,
        onFetchRequest: async (request) => {
          requests += 1;
          const body = await request.clone().json();
          calls += Array.isArray(body) ? body.length : 1;
        },
      }),
    });
    const client = track(new KeywayClient({ publicClient, deployment, pollingInterval: 60_000 }));
    const query = { streamId: stream.id, userId: privateKeyToAccount(KEYS[1]).address, permission: SUBSCRIBE, allowPublic: true };
    expect(await client.hasPermission(query)).to.equal(false);
    console.log(`      cold hasPermission (allowPublic, first call of the client): ${requests} HTTP request(s), ${calls} JSON-RPC calls`);
    // The latest block (with the chain check), then the two calls pinned to its number.
    expect([requests, calls]).to.deep.equal([2, 4]);
    [requests, calls] = [0, 0];
    expect(await client.hasPermission({ ...query, streamId: `${stream.id}x` })).to.equal(false);
    console.log(`      cold hasPermission (allowPublic, client already checked its chain): ${requests} HTTP request(s), ${calls} JSON-RPC calls`);
    [requests, calls] = [0, 0];
    expect(await client.hasPermission(query)).to.equal(false);
    console.log(`      warm hasPermission: ${requests} HTTP requests, ${calls} JSON-RPC calls`);
    expect([requests, calls]).to.deep.equal([0, 0]);
  });
});
