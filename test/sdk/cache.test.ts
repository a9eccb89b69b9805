import { expect } from "chai";
import hre from "hardhat";
import { FOREVER, KeywayError, StreamPermission, type Deployment, type KeywayClient, type Stream } from "../../sdk";
import { type Address, zeroAddress } from "viem";
import { streamKeyOf, type RegistryPoll } from "../../sdk";
import { permissionSourceOf, readHolderExpiries } from "../../sdk/actions/getPermissionExpiry";
import { readLatestBlock } from "../../sdk/blocks";
import { streamRefOf } from "../../sdk/streamId";
import { chainNow, clientOf, publicClient, deployFresh, destroyClients, KEYS, recordingPublicClient, timeTravel, walletClientOf } from "./fixtures";

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

/** Resolves once `check` is true, polling every 5 ms; fails after `limitMs`. */
async function waitFor(check: () => boolean, limitMs = 20_000): Promise<void> {
  const start = performance.now();
  while (!check()) {
    if (performance.now() - start > limitMs) expect.fail(`not true within ${limitMs} ms`);
    await sleep(5);
  }
}

describe("permission cache", () => {
  let deployment: Deployment;
  let owner: KeywayClient;
  let stream: Stream;
  const bobId = walletClientOf(KEYS[1]).account.address.toLowerCase();
  const KEYS_ADDRESS_3 = walletClientOf(KEYS[3]).account.address.toLowerCase();
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

  /** A cached reader that records its RPC methods (and refuses those `refuse` names). */
  function reader(options: { maxAgeMs?: number; pollingInterval?: number; refuse?: (method: string) => boolean } = {}) {
    const methods: string[] = [];
    const client = clientOf(deployment, undefined, {
      publicClient: recordingPublicClient(methods, options.refuse),
      cache: { maxAgeMs: options.maxAgeMs ?? 60_000 },
      pollingInterval: options.pollingInterval ?? POLLING_INTERVAL,
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

  it("permissionSourceOf: a cold query reads (a promise), a warm one answers at once with the same expiry and sends nothing", async () => {
    const { client, methods } = reader();
    const source = permissionSourceOf(client.context);
    const cold = source.getPermissionExpiry(query());
    expect(cold).to.be.instanceOf(Promise);
    const expiry = await cold;
    expect(expiry).to.equal(await client.getPermissionExpiry(query())).and.to.be.greaterThan(0);
    methods.length = 0;
    expect(source.getPermissionExpiry(query())).to.equal(expiry); // a number, not a promise
    expect(source.getPermissionExpiry({ ...query(), userId: KEYS_ADDRESS_3 })).to.be.instanceOf(Promise); // another holder: not cached
    await stream.revokePermissions({ userId: bobId, permissions: [SUBSCRIBE] });
    await msUntil(async () => (await source.getPermissionExpiry(query())) === 0, SEEN_WITHIN_MS);
  });

  it("on an idle automine chain, a grant in the latest block is cached: repeated reads send no eth_call", async () => {
    const { client: b, methods } = reader();
    // beforeEach's grant is in the latest block, and no block follows while nothing is sent.
    const latest = await publicClient().getBlockNumber();
    let polls = 0;
    const unwatch = b.watchPermissionChanges(() => polls++);
    try {
      expect(await b.hasPermission(query())).to.equal(true);
      const cold = methods.filter((m) => m === "eth_call").length;
      expect(cold, "the user's and the public's expiries").to.equal(2);
      for (let i = 0; i < 180; i++) {
        expect(await b.hasPermission(query())).to.equal(true);
        if (i % 20 === 0) await waitFor(() => polls >= i / 20 + 2); // several polls pass between reads
      }
      const calls = methods.filter((m) => m === "eth_call").length - cold;
      console.log(`      180 reads over ${polls} polls of an idle chain: ${calls} eth_call`);
      expect(calls).to.equal(0);
      expect(await publicClient().getBlockNumber(), "no block was mined meanwhile").to.equal(latest);
    } finally {
      unwatch();
    }
  });

  describe("concurrent misses for the same entries share one read", () => {
    const BURST = 50;
    const calls = (methods: string[]) => methods.filter((m) => m === "eth_call").length;
    /** Half the burst asks for Publish, half for Subscribe: the same entries (bob's and the public's), different answers. */
    const burst = () => Array.from({ length: BURST }, (_, i) => ({ ...query(), permission: i % 2 === 0 ? PUBLISH : SUBSCRIBE }));

    it("a burst on a cold cache makes the reads of one query, and every answer is right; a burst after a change sees it", async () => {
      const { client: single, methods: singleMethods } = reader();
      expect(await single.getPermissionExpiry(query())).to.equal(FOREVER);
      const oneQuery = calls(singleMethods);
      expect(oneQuery, "bob's and the public's expiries").to.equal(2);

      const { client: b, methods } = reader();
      const answers = await Promise.all(burst().map((q) => b.getPermissionExpiry(q)));
      expect(answers).to.deep.equal(burst().map((q) => (q.permission === PUBLISH ? 0 : FOREVER)));
      expect(calls(methods), `${BURST} concurrent queries`).to.equal(oneQuery);

      // A change: once the cache has dropped bob's entry, the next burst reads afresh, once, and sees it.
      const polls: RegistryPoll[] = [];
      const unwatch = b.watchPermissionChanges((poll) => polls.push(poll));
      try {
        await stream.grantPermissions({ userId: bobId, permissions: [PUBLISH] });
        await waitFor(() => polls.some((poll) => poll.changes.some((change) => change.streamKey === streamKeyOf(stream.id) && change.holder === bobId)));
      } finally {
        unwatch();
      }
      const before = calls(methods);
      expect(await Promise.all(burst().map((q) => b.getPermissionExpiry(q)))).to.deep.equal(Array(BURST).fill(FOREVER));
      expect(calls(methods) - before, "the second burst").to.equal(oneQuery);
    });

    it("hasPermission and the validators' permission source join the same read", async () => {
      const { client: b, methods } = reader();
      const source = permissionSourceOf(b.context);
      const answers = await Promise.all(
        burst().map((q, i) => (i % 3 === 0 ? b.hasPermission(q) : i % 3 === 1 ? b.getPermissionExpiry(q).then((e) => e > 0) : Promise.resolve(source.getPermissionExpiry(q)).then((e) => e > 0))),
      );
      expect(answers).to.deep.equal(burst().map((q) => q.permission === SUBSCRIBE));
      expect(calls(methods)).to.equal(2);
    });

    it("a re-check after a change does not join a read pinned to a block before it", async () => {
      // eth_call is held until released: a read picks its block, then waits.
      let holding = true;
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      const methods: string[] = [];
      const b = clientOf(deployment, undefined, {
        publicClient: recordingPublicClient(methods, undefined, (method) => (holding && method === "eth_call" ? released : undefined)),
        cache: { maxAgeMs: 60_000 },
        pollingInterval: POLLING_INTERVAL,
      });
      const polls: RegistryPoll[] = [];
      const rechecks: Promise<boolean>[] = [];
      const unwatch = b.watchPermissionChanges((poll) => {
        polls.push(poll);
        if (poll.changes.some((change) => change.holder === bobId)) rechecks.push(b.hasPermission(query()));
      });
      try {
        await waitFor(() => polls.length > 0);
        const early = b.hasPermission(query()); // pinned to the block where bob still holds Subscribe
        await waitFor(() => methods.includes("eth_call"));
        await stream.revokePermissions({ userId: bobId, permissions: [SUBSCRIBE] });
        await waitFor(() => rechecks.length > 0);
        holding = false;
        release();
        expect(await early, "asked before the revocation").to.equal(true);
        expect(await rechecks[0], "the re-check after the revocation was seen").to.equal(false);
      } finally {
        holding = false;
        release();
        unwatch();
      }
    });

    it("a failed read rejects every waiter with the same typed error; the next query reads afresh", async () => {
      let down = true;
      const { client: b, methods } = reader({ refuse: (method) => down && method === "eth_call" });
      const failures = await Promise.all(burst().map((q) => b.getPermissionExpiry(q).then(() => expect.fail("answered while the node is down"), (e: unknown) => e)));
      expect(failures[0]).to.be.instanceOf(KeywayError).and.have.property("code", "RPC_ERROR");
      expect(new Set(failures).size, "one error, shared").to.equal(1);
      expect(calls(methods), "one read's calls were sent").to.equal(2);

      down = false;
      const answers = await Promise.all(burst().map((q) => b.getPermissionExpiry(q)));
      expect(answers).to.deep.equal(burst().map((q) => (q.permission === PUBLISH ? 0 : FOREVER)));
      expect(calls(methods), "a fresh read, once").to.equal(4);
    });
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

  it("a PermissionsUpdated drops only that holder's entry (the public's for address(0)); a deletion drops the stream", async () => {
    const { client: b, methods } = reader();
    const carolId = walletClientOf(KEYS[2]).account.address.toLowerCase();
    const carol = { ...query(), userId: carolId };
    const bobOnly = { ...query(), allowPublic: false };
    expect(await b.hasPermission(bobOnly)).to.equal(true);
    expect(await b.hasPermission(carol)).to.equal(false); // carol's and the public's entries
    await stream.grantPermissions({ userId: carolId, permissions: [SUBSCRIBE] });
    await msUntil(() => b.hasPermission(carol), 20_000);
    const calls = () => methods.filter((m) => m === "eth_call").length;
    let before = calls();
    expect(await b.hasPermission(bobOnly)).to.equal(true);
    expect(calls(), "bob's entry outlived carol's change").to.equal(before);

    await stream.grantPermissions({ public: true, permissions: [SUBSCRIBE] });
    await msUntil(() => b.hasPermission({ ...query(), userId: KEYS_ADDRESS_3, allowPublic: true }), 20_000);
    before = calls();
    expect(await b.hasPermission(bobOnly)).to.equal(true);
    expect(calls(), "bob's entry outlived the public's change").to.equal(before);

    await stream.delete();
    await msUntil(async () => !(await b.hasPermission(bobOnly)), 20_000);
  });

  it("an entry is never used past the permission's own expiry, by the chain's clock", async () => {
    const expiry = (await chainNow()) + 100;
    await stream.grantPermissions({ userId: bobId, permissions: [PUBLISH], expiresAt: { publish: new Date(expiry * 1000) } });
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

  it("destroy() while a read is in flight leaves no watcher polling", async () => {
    const { client: b, methods } = reader();
    const inFlight = b.hasPermission(query());
    b.destroy();
    expect(await inFlight, "the read still answers").to.equal(true);
    await sleep(2 * POLLING_INTERVAL);
    const after = methods.length;
    await sleep(6 * POLLING_INTERVAL);
    expect(methods.slice(after), "no request after destroy").to.deep.equal([]);
    expect(b.watchPermissionChanges(() => expect.fail("no poll after destroy"))).to.be.a("function");
    await sleep(3 * POLLING_INTERVAL);
    expect(methods.length).to.equal(after);
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

  it("does not keep a reading pinned to a block before a change the watcher has passed; keeps one pinned to the latest", async () => {
    const { client: b } = reader();
    const { cache } = b.context;
    const ref = streamRefOf(stream.id);
    const bob = bobId as Address;
    expect(await b.hasPermission(query())).to.equal(true); // cached: the watcher runs
    const before = await readLatestBlock(b.context);
    const polls: RegistryPoll[] = [];
    const unwatch = b.watchPermissionChanges((poll) => polls.push(poll));
    try {
      await stream.revokePermissions({ userId: bobId, permissions: [SUBSCRIBE] });
      await waitFor(() => polls.some((poll) => poll.changes.some((change) => change.streamKey === ref.key && change.holder === bobId)));
      const stale = await readHolderExpiries(b.context, { stream: ref, holders: [bob], at: before });
      expect(stale.expiries[0][3], "bob held subscribe at that block").to.be.greaterThan(0);
      cache.store(ref.key, [bob], stale);
      expect(cache.get(ref.key, bob, Date.now()), "a reading older than a change the watcher saw is not kept").to.equal(undefined);
      const latest = await readHolderExpiries(b.context, { stream: ref, holders: [bob] });
      cache.store(ref.key, [bob], latest);
      expect(cache.get(ref.key, bob, Date.now())?.[3]).to.equal(0);
    } finally {
      unwatch();
    }
  });

  describe("reorgs (evm_snapshot, evm_revert, new blocks at the same heights)", () => {
    const send = (method: string, params: unknown[] = []) => hre.network.provider.send(method, params);
    const REORG_MAX_AGE_MS = 600_000;

    /** Resolves once the watcher has polled twice more (so it has passed the blocks mined before the call). */
    async function pollsPass(client: KeywayClient): Promise<RegistryPoll[]> {
      const polls: RegistryPoll[] = [];
      const unwatch = client.watchPermissionChanges((poll) => polls.push(poll));
      try {
        await waitFor(() => polls.length >= 2);
      } finally {
        unwatch();
      }
      return polls;
    }

    /** Waits until `cached` agrees with an uncached client on `q`; resolves with the answer. */
    async function agreement(cached: KeywayClient, q: ReturnType<typeof query>, pollingInterval = POLLING_INTERVAL): Promise<boolean> {
      const uncached = clientOf(deployment, undefined, { cache: false });
      const truth = await uncached.hasPermission(q);
      const start = performance.now();
      while ((await cached.hasPermission(q)) !== truth) {
        // Far less than maxAgeMs (REORG_MAX_AGE_MS): only the watcher can have dropped the entry.
        if (performance.now() - start > 10_000 + 5 * pollingInterval) expect.fail("the cached client still disagrees with the chain");
        await sleep(POLLING_INTERVAL / 2);
      }
      return truth;
    }

    it("a grant whose block is gone is no longer reported held, and listeners are told of the reorg", async () => {
      const { client: b } = reader({ maxAgeMs: REORG_MAX_AGE_MS });
      const publish = { ...query(), permission: PUBLISH };
      const polls: RegistryPoll[] = [];
      const unwatch = b.watchPermissionChanges((poll) => polls.push(poll));
      try {
        const snapshot = await send("evm_snapshot");
        await stream.grantPermissions({ userId: bobId, permissions: [PUBLISH] });
        expect(await b.hasPermission(publish)).to.equal(true);
        await pollsPass(b);
        await send("evm_revert", [snapshot]);
        await send("evm_mine");
        await send("evm_mine"); // the chain is as high as before, without the grant
        expect(await agreement(b, publish)).to.equal(false);
        await waitFor(() => polls.some((poll) => poll.reorg));
        expect(polls.find((poll) => poll.reorg)!.changes).to.deep.equal([]);
      } finally {
        unwatch();
      }
    });

    it("a revocation mined at a height the watcher has already passed is seen", async () => {
      const { client: b } = reader({ maxAgeMs: REORG_MAX_AGE_MS });
      const snapshot = await send("evm_snapshot");
      await send("evm_mine");
      await send("evm_mine");
      expect(await b.hasPermission(query())).to.equal(true);
      await pollsPass(b); // the watcher is at the new height
      await send("evm_revert", [snapshot]);
      await stream.revokePermissions({ userId: bobId, permissions: [SUBSCRIBE] }); // mined one below that height
      await send("evm_mine");
      expect(await agreement(b, query())).to.equal(false);
    });

    it("a reading pinned ahead of the watcher, to a block that is then replaced, is not kept", async () => {
      // A slow watcher: it is still at the block it started from while the chain moves on.
      const slow = 2_000;
      const { client: b } = reader({ pollingInterval: slow, maxAgeMs: REORG_MAX_AGE_MS });
      const ref = streamRefOf(stream.id);
      const bob = bobId as Address;
      const other = await owner.createStream(`/cache/${++n}`);
      const snapshot = await send("evm_snapshot");
      expect(await b.hasPermission({ ...query(), streamId: other.id })).to.equal(false); // cached: the watcher starts here
      await send("evm_mine");
      const gone = await readHolderExpiries(b.context, { stream: ref, holders: [bob, zeroAddress] }); // pinned to the block about to be replaced
      await send("evm_revert", [snapshot]);
      await stream.revokePermissions({ userId: bobId, permissions: [SUBSCRIBE] }); // another block at that height
      b.context.cache.store(ref.key, [bob, zeroAddress], gone); // kept until the next poll finds its block gone
      expect(await b.hasPermission(query()), "answered from the stored reading").to.equal(true);
      expect(await agreement(b, query(), slow)).to.equal(false);
    });
  });

  describe("watchPermissionChanges", () => {
    it("reports every poll, and another client's revocation once the cache dropped it: a re-check inside the callback is fresh", async () => {
      const { client: b } = reader();
      expect(await b.hasPermission(query())).to.equal(true);
      const key = streamKeyOf(stream.id);
      const polls: RegistryPoll[] = [];
      const rechecks: Promise<boolean>[] = [];
      const unwatch = b.watchPermissionChanges((poll) => {
        polls.push(poll);
        if (poll.changes.some((change) => change.streamKey === key && change.holder === bobId)) rechecks.push(b.hasPermission(query()));
      });
      try {
        await waitFor(() => polls.length >= 2);
        expect(polls[0]).to.include({ reorg: false });
        expect(polls[0].changes).to.deep.equal([]);
        const receipt = await stream.revokePermissions({ userId: bobId, permissions: [SUBSCRIBE] });
        await waitFor(() => rechecks.length > 0);
        expect(await rechecks[0], "the re-check in the callback sees the revocation").to.equal(false);
        const poll = polls.find((p) => p.changes.some((change) => change.holder === bobId))!;
        expect(poll.changes).to.deep.equal([{ streamKey: key, holder: bobId }]);
        expect(poll.chainTime.blockNumber >= receipt.blockNumber).to.equal(true);
        expect(Math.abs(poll.chainTime.timestamp - b.chainNowSeconds())).to.be.lessThan(5);
      } finally {
        unwatch();
      }
    });

    it("names the public as address(0) and a created or deleted stream with holder null", async () => {
      const { client: b } = reader();
      const polls: RegistryPoll[] = [];
      const unwatch = b.watchPermissionChanges((poll) => polls.push(poll));
      try {
        await waitFor(() => polls.length >= 1);
        const created = await owner.createStream(`/cache/watched${n}`);
        await created.grantPermissions({ public: true, permissions: [SUBSCRIBE] });
        await created.delete();
        const key = streamKeyOf(created.id);
        const seen = () => polls.flatMap((poll) => poll.changes).filter((change) => change.streamKey === key);
        await waitFor(() => seen().some((change) => change.holder === zeroAddress) && seen().filter((change) => change.holder === null).length >= 1);
        expect(seen().map((change) => change.holder)).to.include.members([null, zeroAddress]);
      } finally {
        unwatch();
      }
    });

    it("keeps the watcher running with nothing cached while a listener is attached; unwatch stops it", async () => {
      const { client: b, methods } = reader();
      let polls = 0;
      const unwatch = b.watchPermissionChanges(() => polls++);
      await waitFor(() => polls >= 3);
      unwatch();
      const stoppedAt = polls;
      await sleep(POLLING_INTERVAL * 2); // a poll in flight may still finish
      const requests = methods.length;
      await sleep(POLLING_INTERVAL * 6);
      expect(methods.length, "no request after unwatch").to.equal(requests);
      expect(polls - stoppedAt).to.be.at.most(1);
    });

    it("a listener that throws stops neither the watcher nor the other listeners", async () => {
      const { client: b } = reader();
      let polls = 0;
      const unwatchBad = b.watchPermissionChanges(() => {
        throw new Error("listener bug");
      });
      const unwatch = b.watchPermissionChanges(() => polls++);
      try {
        await waitFor(() => polls >= 3);
      } finally {
        unwatch();
        unwatchBad();
      }
    });
  });
});
