import { expect } from "chai";
import { StreamPermission, type Deployment, type KeywayClient, type Stream } from "../../sdk";
import { latestChainTime } from "../../sdk/actions/chainTime";
import { readHolderExpiries } from "../../sdk/actions/getPermissionExpiry";
import { createPermissionCache } from "../../sdk/cache";
import { chainNow, clientOf, deployFresh, destroyClients, KEYS, recordingPublicClient, timeTravel, walletClientOf } from "./fixtures";

const { PUBLISH, SUBSCRIBE } = StreamPermission;
const POLLING_INTERVAL = 50;
/** How long a change may take to be seen: generous, a loaded machine delays the watcher's polls (the delay is logged, not asserted). */
const SEEN_WITHIN_MS = 30_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every 5 ms until it is true; resolves with the ms it took, fails after `limitMs`. */
async function msUntil(check: () => Promise<boolean>, limitMs: number): Promise<number> {
  const start = performance.now();
  while (!(await check())) {
    if (performance.now() - start > limitMs) expect.fail(`not true within ${limitMs} ms`);
    await sleep(5);
  }
  return performance.now() - start;
}

describe("permission cache", () => {
  let deployment: Deployment;
  let owner: KeywayClient;
  let stream: Stream;
  const bobId = walletClientOf(KEYS[1]).account.address.toLowerCase();
  let n = 0;

  before(async () => {
    deployment = await deployFresh();
    owner = clientOf(deployment, 0, { cache: false });
  });
  beforeEach(async () => {
    stream = await owner.createStream(`/cache/${++n}`);
    await stream.grantPermissions({ userId: bobId, permissions: [SUBSCRIBE] });
  });
  after(destroyClients);

  /** A cached reader that records its RPC methods. */
  function reader(options: { maxAgeMs?: number } = {}) {
    const methods: string[] = [];
    const client = clientOf(deployment, undefined, {
      publicClient: recordingPublicClient(methods),
      cache: { maxAgeMs: options.maxAgeMs ?? 60_000 },
      pollingInterval: POLLING_INTERVAL,
    });
    return { client, methods };
  }
  const query = () => ({ streamId: stream.id, userId: bobId, permission: SUBSCRIBE, allowPublic: true });

  it("a cold hasPermission reads the chain; a warm one sends nothing", async () => {
    const { client, methods } = reader();
    expect(await client.hasPermission(query())).to.equal(true);
    console.log(`      cold hasPermission (allowPublic): ${methods.length} requests: ${methods.join(", ")}`);
    expect(methods.filter((m) => m === "eth_call")).to.have.length(2); // the user's and the public's expiries
    methods.length = 0;
    expect(await client.hasPermission(query())).to.equal(true);
    expect(await client.getPermissionExpiry({ ...query(), permission: PUBLISH })).to.equal(0); // same entries
    expect(methods).to.deep.equal([]);
  });

  it("another client's revocation is seen at a later poll (the delay is logged)", async () => {
    const { client: b } = reader();
    expect(await b.hasPermission(query())).to.equal(true);
    await stream.revokePermissions({ userId: bobId, permissions: [SUBSCRIBE] });
    const delay = await msUntil(async () => !(await b.hasPermission(query())), SEEN_WITHIN_MS);
    console.log(`      revocation seen by the cached client after ${delay.toFixed(0)} ms (polling interval ${POLLING_INTERVAL} ms)`);
  });

  it("a grant by another client invalidates a cached 'no'; events of other streams do not", async () => {
    const { client: b, methods } = reader();
    const other = await owner.createStream(`/cache/other${n}`);
    expect(await b.hasPermission({ ...query(), permission: PUBLISH })).to.equal(false);
    await other.grantPermissions({ userId: bobId, permissions: [PUBLISH] });
    await sleep(4 * POLLING_INTERVAL);
    methods.length = 0;
    expect(await b.hasPermission({ ...query(), permission: PUBLISH })).to.equal(false);
    expect(methods, "still cached after another stream's event").to.deep.equal([]);
    await stream.grantPermissions({ userId: bobId, permissions: [PUBLISH] });
    await msUntil(() => b.hasPermission({ ...query(), permission: PUBLISH }), SEEN_WITHIN_MS);
  });

  it("an entry is never used past the permission's own expiry, by the chain's clock", async () => {
    const expiry = (await chainNow()) + 100;
    await stream.grantPermissions({ userId: bobId, permissions: [PUBLISH], expiresAt: { publish: new Date(expiry * 1000) } });
    await timeTravel(1); // a reading in the grant's own block would be dropped at the first poll (the grant's event)
    const { client: b, methods } = reader();
    expect(await b.getPermissionExpiry({ ...query(), permission: PUBLISH })).to.equal(expiry);
    await timeTravel(200); // no registry event: only the clock moves
    await msUntil(async () => (await b.getPermissionExpiry({ ...query(), permission: PUBLISH })) === 0, SEEN_WITHIN_MS);
    expect(methods.filter((m) => m === "eth_call"), "answered from the cache, by the chain clock").to.have.length(2);
  });

  it("an entry lives at most maxAgeMs", async () => {
    const { client: b, methods } = reader({ maxAgeMs: 100 });
    await b.hasPermission(query());
    const cold = methods.length;
    await b.hasPermission(query());
    expect(methods.length).to.equal(cold);
    await sleep(150);
    await b.hasPermission(query());
    expect(methods.filter((m) => m === "eth_call")).to.have.length(4);
  });

  it("cache: false reads the chain every time; destroy() stops the watcher", async () => {
    const methods: string[] = [];
    const uncached = clientOf(deployment, undefined, { publicClient: recordingPublicClient(methods), cache: false });
    await uncached.hasPermission(query());
    await uncached.hasPermission(query());
    expect(methods.filter((m) => m === "eth_call")).to.have.length(4);

    const { client: b, methods: polled } = reader();
    await b.hasPermission(query());
    await sleep(3 * POLLING_INTERVAL);
    expect(polled.filter((m) => m === "eth_getBlockByNumber").length, "the watcher polls").to.be.greaterThan(1);
    b.destroy();
    await sleep(POLLING_INTERVAL);
    const after = polled.length;
    await sleep(4 * POLLING_INTERVAL);
    expect(polled.length, "no polling after destroy").to.equal(after);
  });

  it("does not keep a reading that raced a block with an event the watcher has already passed", async () => {
    const { client: b } = reader();
    const cache = createPermissionCache(b.context, { maxAgeMs: 60_000, pollingInterval: POLLING_INTERVAL });
    try {
      const holders = [bobId as `0x${string}`];
      const load = (missing: `0x${string}`[]) => readHolderExpiries(b.context, stream.id, missing);
      // Another stream's entry keeps the watcher running after this stream's entries are dropped.
      const other = await owner.createStream(`/cache/${++n}`);
      await timeTravel(1); // a block without events: a reading in the creation's block would be dropped at the first poll
      await cache.read(other.id, holders, (missing) => readHolderExpiries(b.context, other.id, missing));
      await cache.read(stream.id, holders, load);
      const before = await readHolderExpiries(b.context, stream.id, holders); // bob holds subscribe
      await stream.revokePermissions({ userId: bobId, permissions: [SUBSCRIBE] });
      await sleep(3 * POLLING_INTERVAL); // the watcher has seen the revocation's block
      // A reading whose calls ran before the revocation, paired with the block that mined it.
      const raced = { ...before, at: await latestChainTime(b.context) };
      let loads = 0;
      const racedLoad = async () => (++loads, raced);
      const first = await cache.read(stream.id, holders, racedLoad);
      expect(first.expiries[0][3]).to.be.greaterThan(0, "the raced reading is what the caller gets once");
      const second = await cache.read(stream.id, holders, load);
      expect(second.expiries[0][3], "but it was not cached: the next read sees the revocation").to.equal(0);
      expect(loads).to.equal(1);
    } finally {
      cache.clear();
    }
  });
});
