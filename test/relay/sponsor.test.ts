import { expect } from "chai";
import { createPublicClient, type Hex, http } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { createRelay, type Relay } from "../../relay";
import { grantPermissionsCall, KeywayClient, NonceUsedError, signChange, signedChangeToJSON, StreamPermission } from "../../sdk";
import { closeAllClients, connect, type RelayOnChain, startRelayOnChain } from "./fixtures";
import { createTestStream } from "./helpers";

/** `keyway relay --sponsor-key`: signed changes from signed-in clients, sent from the relay's key. */
describe("relay: sponsored changes", function () {
  let chain: RelayOnChain;
  let streamId: string;
  const relays: Relay[] = [];
  const SPONSOR = 5; // accounts[5] pays; #0 owns the stream, #1 asks, #2 receives

  before(async function () {
    chain = await startRelayOnChain();
    streamId = await createTestStream(chain.clientOf(0));
  });
  afterEach(async function () {
    await closeAllClients();
    await Promise.all(relays.splice(0).map((relay) => relay.close()));
  });
  after(async function () {
    await chain?.stop();
  });

  async function sponsoringRelay(limits: { sponsorRatePerSigner?: number; sponsorGasBudget?: number } = {}): Promise<Relay> {
    const relay = await createRelay({
      rpcUrl: chain.rpcUrl,
      registryAddress: chain.registryAddress,
      port: 0,
      pollingInterval: 200,
      sponsorKey: chain.accounts[SPONSOR].privateKey,
      ...limits,
    });
    relays.push(relay);
    return relay;
  }

  /** A change granting #2 Publish (or `permission`), signed by the stream's owner with the next nonce: no transaction of the owner. */
  async function signedGrant(permission = StreamPermission.PUBLISH, nonce?: bigint): Promise<Record<string, unknown>> {
    const assignments = [{ userId: chain.accounts[2].account.address, permissions: [permission] }];
    const signed = await signChange(chain.clientOf(0).context, { call: grantPermissionsCall({ streamId, assignments }), nonce });
    return JSON.parse(signedChangeToJSON(signed)) as Record<string, unknown>;
  }

  const sentBy = (index: number) => createPublicClient({ transport: http(chain.rpcUrl) }).getTransactionCount({ address: chain.accounts[index].account.address });
  const holds = (permission: StreamPermission) =>
    chain.clientOf(0).hasPermission({ streamId, userId: chain.accounts[2].account.address, permission });

  it("sends a signed-in client's signed change from the sponsor key and answers with its transaction hash", async function () {
    const relay = await sponsoringRelay();
    const client = await connect(relay.url);
    await client.signIn(chain.accounts[1]);
    const [ownerSent, sponsorSent] = [await sentBy(0), await sentBy(SPONSOR)];
    const reply = await client.request({ type: "sponsor", change: await signedGrant() });
    expect(reply.type, JSON.stringify(reply)).to.equal("sponsored");
    expect(reply.transactionHash).to.match(/^0x[0-9a-f]{64}$/);
    const receipt = await createPublicClient({ transport: http(chain.rpcUrl) }).waitForTransactionReceipt({ hash: reply.transactionHash as Hex });
    expect(receipt.from).to.equal(chain.accounts[SPONSOR].account.address.toLowerCase());
    expect(await holds(StreamPermission.PUBLISH)).to.equal(true);
    expect([await sentBy(0), await sentBy(SPONSOR)]).to.deep.equal([ownerSent, sponsorSent + 1]);
  });

  it("refuses, sending nothing: no sign-in, a malformed change, a change the registry would refuse (CHANGE_REFUSED with the reason)", async function () {
    const relay = await sponsoringRelay();
    const client = await connect(relay.url);
    const change = await signedGrant(StreamPermission.SUBSCRIBE);
    const sponsorSent = await sentBy(SPONSOR);

    expect(await client.request({ type: "sponsor", change })).to.include({ type: "error", code: "UNAUTHORIZED" });
    await client.signIn(chain.accounts[1]);
    expect(await client.request({ type: "sponsor", change: "nope" })).to.include({ type: "error", code: "INVALID_REQUEST" });
    expect(await client.request({ type: "sponsor", change: { ...change, nonce: 5 } })).to.include({ type: "error", code: "INVALID_REQUEST" });
    const tampered = { ...change, args: [streamId, [chain.accounts[3].account.address.toLowerCase()], (change.args as unknown[])[2]] };
    expect(await client.request({ type: "sponsor", change: tampered })).to.include({ type: "error", code: "CHANGE_REFUSED", reason: "INVALID_SIGNATURE" });
    const elsewhere = { ...change, chainId: 1 };
    expect(await client.request({ type: "sponsor", change: elsewhere })).to.include({ type: "error", code: "CHANGE_REFUSED", reason: "INVALID_SIGNATURE" });
    const expired = await signChange(chain.clientOf(0).context, {
      call: grantPermissionsCall({ streamId, assignments: [{ userId: chain.accounts[2].account.address, permissions: [StreamPermission.SUBSCRIBE] }] }),
      deadline: 1n,
    });
    expect(await client.request({ type: "sponsor", change: JSON.parse(signedChangeToJSON(expired)) })).to.include({ type: "error", code: "CHANGE_REFUSED", reason: "SIGNATURE_EXPIRED" });
    const byStranger = await signChange(chain.clientOf(3).context, { call: grantPermissionsCall({ streamId, assignments: [{ userId: chain.accounts[2].account.address, permissions: [StreamPermission.SUBSCRIBE] }] }) });
    expect(await client.request({ type: "sponsor", change: JSON.parse(signedChangeToJSON(byStranger)) })).to.include({ type: "error", code: "CHANGE_REFUSED", reason: "UNAUTHORIZED" });

    expect(await sentBy(SPONSOR)).to.equal(sponsorSent);
    expect(await holds(StreamPermission.SUBSCRIBE)).to.equal(false);
    // The untouched change is still good: one send, then the same one again is NONCE_USED.
    expect((await client.request({ type: "sponsor", change })).type).to.equal("sponsored");
    expect(await client.request({ type: "sponsor", change })).to.include({ type: "error", code: "CHANGE_REFUSED", reason: "NONCE_USED" });
  });

  it("limits each signer (RATE_LIMITED beyond sponsorRatePerSigner) and stops once the gas budget is spent", async function () {
    const relay = await sponsoringRelay({ sponsorRatePerSigner: 1 });
    const client = await connect(relay.url);
    await client.signIn(chain.accounts[1]);
    expect((await client.request({ type: "sponsor", change: await signedGrant(StreamPermission.EDIT) })).type).to.equal("sponsored");
    const second = await client.request({ type: "sponsor", change: await signedGrant(StreamPermission.DELETE) });
    expect(second).to.include({ type: "error", code: "RATE_LIMITED" });
    expect(second.message).to.match(/1 changes sponsored a minute/);

    const budgeted = await sponsoringRelay({ sponsorGasBudget: 1 });
    const other = await connect(budgeted.url);
    await other.signIn(chain.accounts[1]);
    expect((await other.request({ type: "sponsor", change: await signedGrant(StreamPermission.DELETE) })).type).to.equal("sponsored");
    // Counted once mined: the next one finds the budget spent.
    let reply = await other.request({ type: "sponsor", change: await signedGrant(StreamPermission.GRANT) });
    for (let tries = 0; reply.type === "sponsored" && tries < 3; tries++) {
      reply = await other.request({ type: "sponsor", change: await signedGrant(StreamPermission.GRANT) });
    }
    expect(reply).to.include({ type: "error", code: "RATE_LIMITED" });
    expect(reply.message).to.match(/gas budget/);
  });

  it("through the SDK: a client with no ETH signs, client.sponsorChange hands it over; a refusal is the typed error", async function () {
    const relay = await sponsoringRelay();
    // A fresh key with no ETH, holding Grant on the stream (given by the owner).
    const key = generatePrivateKey();
    await chain.clientOf(0).grantPermissions(streamId, { userId: privateKeyToAccount(key).address, permissions: [StreamPermission.GRANT] });
    const poor = new KeywayClient({ rpcUrl: chain.rpcUrl, registryAddress: chain.registryAddress, privateKey: key, relayUrl: relay.url, cache: false });
    try {
      const assignments = [{ userId: chain.accounts[2].account.address, permissions: [StreamPermission.SUBSCRIBE] }];
      const signed = await signChange(poor.context, { call: grantPermissionsCall({ streamId, assignments }) });
      let sentHash: string | undefined;
      const receipt = await poor.sponsorChange(signed, { onSent: (hash) => (sentHash = hash) });
      expect(receipt.transactionHash).to.equal(sentHash);
      expect(await holds(StreamPermission.SUBSCRIBE)).to.equal(true);
      const error = await poor.sponsorChange(signed).then(() => undefined, (e: unknown) => e);
      expect(error).to.be.instanceOf(NonceUsedError);
      expect(error).to.include({ code: "NONCE_USED", nonce: signed.nonce });
      expect(await createPublicClient({ transport: http(chain.rpcUrl) }).getBalance({ address: privateKeyToAccount(key).address })).to.equal(0n);
    } finally {
      poor.destroy();
    }
  });

  it("refuses sponsor frames when started without a sponsor key", async function () {
    const client = await connect(chain.url);
    await client.signIn(chain.accounts[1]);
    const reply = await client.request({ type: "sponsor", change: await signedGrant() });
    expect(reply).to.include({ type: "error", code: "INVALID_REQUEST" });
    expect(reply.message).to.match(/does not sponsor/);
  });
});
