import { expect } from "chai";
import { privateKeyToAccount } from "viem/accounts";
import {
  createStreamCall,
  type Deployment,
  grantPermissionsCall,
  KeywayClient,
  revokePermissionsCall,
  simulateRegistryCall,
  StreamAlreadyExistsError,
  StreamNotFoundError,
  StreamPermission,
  UnauthorizedError,
} from "../../sdk";
import { clientOf, deployFresh, destroyClients, KEYS, publicClient } from "./fixtures";

const [owner, bob, carol] = KEYS.map((key) => privateKeyToAccount(key).address);

describe("simulateRegistryCall (a write judged before anything is signed)", () => {
  let deployment: Deployment;
  let client: KeywayClient;
  let streamId: string;

  beforeEach(async () => {
    deployment = await deployFresh();
    client = clientOf(deployment, 0, { cache: false });
    streamId = (await client.createStream("/simulated")).id;
    await client.grantPermissions(streamId, { userId: bob, permissions: [StreamPermission.SUBSCRIBE] });
  });
  afterEach(destroyClients);

  const carolPublish = [{ userId: carol, permissions: [StreamPermission.PUBLISH] }];
  const bobSubscribe = [{ userId: bob, permissions: [StreamPermission.SUBSCRIBE] }];

  it("resolves for a call the account may make, and sends nothing", async () => {
    const sent = await publicClient().getTransactionCount({ address: owner });
    await simulateRegistryCall(client.context, { call: grantPermissionsCall({ streamId, assignments: carolPublish }), account: owner });
    // Anyone may renounce their own permissions.
    await simulateRegistryCall(client.context, { call: revokePermissionsCall({ streamId, assignments: bobSubscribe }), account: bob });
    expect(await publicClient().getTransactionCount({ address: owner })).to.equal(sent);
    expect(await client.hasPermission({ streamId, userId: carol, permission: StreamPermission.PUBLISH })).to.equal(false);
    expect(await client.hasPermission({ streamId, userId: bob, permission: StreamPermission.SUBSCRIBE })).to.equal(true);
  });

  it("throws the registry's decoded error: what the account is missing, a taken path, a missing stream", async () => {
    const refused = await simulateRegistryCall(client.context, { call: grantPermissionsCall({ streamId, assignments: carolPublish }), account: bob }).catch((e: unknown) => e);
    expect(refused).to.be.instanceOf(UnauthorizedError);
    expect(refused).to.include({ code: "UNAUTHORIZED", streamId, permission: StreamPermission.GRANT });
    expect((refused as UnauthorizedError).account.toLowerCase()).to.equal(bob.toLowerCase());

    const taken = await simulateRegistryCall(client.context, { call: createStreamCall({ path: "/simulated" }), account: owner }).catch((e: unknown) => e);
    expect(taken).to.be.instanceOf(StreamAlreadyExistsError);
    const missing = await simulateRegistryCall(client.context, { call: grantPermissionsCall({ streamId: `${owner.toLowerCase()}/nowhere`, assignments: carolPublish }), account: owner }).catch((e: unknown) => e);
    expect(missing).to.be.instanceOf(StreamNotFoundError);
    expect(await client.hasPermission({ streamId, userId: carol, permission: StreamPermission.PUBLISH })).to.equal(false);
  });
});
