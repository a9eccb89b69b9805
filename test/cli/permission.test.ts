import { expect } from "chai";
import { expectFailure, parseJson, startTestChain, type TestChain } from "./harness";

type Assignment = { userId?: string; public?: true; permissions: string[]; expiresAt?: Record<string, string> };

describe("keyway permission", function () {
  let chain: TestChain;
  let alice: TestChain["accounts"][number];
  let bob: TestChain["accounts"][number];
  let carol: TestChain["accounts"][number];
  let streamId: string;
  let bobId: string;

  before(async function () {
    chain = await startTestChain();
    [alice, bob, carol] = chain.accounts;
    streamId = `${alice.account.address.toLowerCase()}/perms`;
    bobId = bob.account.address.toLowerCase();
    const created = await chain.keyway(["stream", "create", "/perms"], { signer: alice });
    expect(created.code, created.stderr).to.equal(0);
  });
  after(async function () {
    await chain?.stop();
  });

  async function list(): Promise<Assignment[]> {
    return parseJson<Assignment[]>(await chain.keyway(["permission", "list", streamId, "--json"]));
  }

  it("list shows the creator's permissions (human and --json)", async function () {
    const human = await chain.keyway(["permission", "list", streamId]);
    expect(human.code, human.stderr).to.equal(0);
    expect(human.stdout).to.equal(
      [
        "HOLDER                                      PERMISSIONS                              EXPIRES",
        `${alice.account.address}  edit, delete, publish, subscribe, grant  never`,
        "",
      ].join("\n"),
    );
    expect(await list()).to.deep.equal([
      { userId: alice.account.address.toLowerCase(), permissions: ["edit", "delete", "publish", "subscribe", "grant"] },
    ]);
  });

  it("grant with --expires grants until then; the list shows the expiry", async function () {
    const before = Date.now();
    const human = await chain.keyway(["permission", "grant", streamId, bob.account.address, "subscribe", "publish", "--expires", "7d"], { signer: alice });
    expect(human.code, human.stderr).to.equal(0);
    expect(human.stdout).to.match(
      new RegExp(`^Granted subscribe, publish for ${bob.account.address} until \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC \\(in 7d\\) on ${streamId}\\n  transaction: 0x[0-9a-f]{64}\\n  block:       \\d+\\n$`),
    );
    const bobs = (await list()).find((a) => a.userId === bobId)!;
    expect(bobs.permissions).to.deep.equal(["publish", "subscribe"]);
    const expiry = Date.parse(bobs.expiresAt!.subscribe);
    expect(expiry).to.be.within(before + 7 * 86_400_000 - 60_000, Date.now() + 7 * 86_400_000 + 60_000);
    expect(bobs.expiresAt!.publish).to.equal(bobs.expiresAt!.subscribe);

    const table = (await chain.keyway(["permission", "list", streamId])).stdout;
    expect(table).to.match(new RegExp(`${bob.account.address}  publish, subscribe  +\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC \\(in (6d 23h|7d)\\)`));
  });

  it("grant --json to the public, forever", async function () {
    const json = parseJson<{ streamId: string; assignments: Assignment[]; transactionHash: string; blockNumber: number }>(
      await chain.keyway(["permission", "grant", streamId, "public", "subscribe", "--json"], { signer: alice }),
    );
    expect(json.streamId).to.equal(streamId);
    expect(json.assignments).to.deep.equal([{ public: true, permissions: ["subscribe"] }]);
    expect(json.transactionHash).to.match(/^0x[0-9a-f]{64}$/);
    expect((await list()).find((a) => a.public)).to.deep.equal({ public: true, permissions: ["subscribe"] });
  });

  it("check answers for users, through the public unless --no-public, and for the public (human and --json)", async function () {
    const yes = await chain.keyway(["permission", "check", streamId, bob.account.address, "publish"]);
    expect(yes.code, yes.stderr).to.equal(0);
    expect(yes.stdout).to.equal(`yes: ${bob.account.address} has publish on ${streamId}\n`);

    const viaPublic = parseJson(await chain.keyway(["permission", "check", streamId, carol.account.address, "subscribe", "--json"]));
    expect(viaPublic).to.deep.equal({
      streamId,
      holder: carol.account.address.toLowerCase(),
      permission: "subscribe",
      allowPublic: true,
      hasPermission: true,
    });
    const direct = await chain.keyway(["permission", "check", streamId, carol.account.address, "subscribe", "--no-public"]);
    expect(direct.code, direct.stderr).to.equal(0);
    expect(direct.stdout).to.equal(`no: ${carol.account.address} does not have subscribe on ${streamId}\n`);
    expect(parseJson(await chain.keyway(["permission", "check", streamId, "public", "publish", "--json"]))).to.include({
      holder: "public",
      hasPermission: false,
    });
  });

  it("grant without grant permission fails with exit 4 and changes nothing", async function () {
    const before = await list();
    expectFailure(
      await chain.keyway(["permission", "grant", streamId, carol.account.address, "edit"], { signer: carol }),
      4,
      new RegExp(`${carol.account.address.toLowerCase()} does not have grant permission on ${streamId}`),
    );
    expectFailure(await chain.keyway(["permission", "revoke", streamId, "public", "subscribe"], { signer: carol }), 4, /does not have grant permission/);
    expectFailure(await chain.keyway(["permission", "set", streamId, "--assign", `${carol.account.address}=grant`], { signer: bob }), 4, /does not have grant permission/);
    expect(await list()).to.deep.equal(before);
  });

  it("rejects bad ids, addresses, permission names and expiries with exit 2, before any transaction", async function () {
    const before = await list();
    const grant = (...args: string[]) => chain.keyway(["permission", "grant", ...args], { signer: alice });
    expectFailure(await grant("not-an-id", bob.account.address, "edit"), 2, /Invalid stream id "not-an-id"/);
    expectFailure(await grant(streamId, "0xabc", "edit"), 2, /Invalid address: "0xabc"/);
    expectFailure(await grant(streamId, bob.account.address, "fly"), 2, /Invalid permission "fly"/);
    expectFailure(await grant(streamId, "public", "edit"), 2, /Invalid permission "edit": the public may only hold publish and subscribe/);
    expectFailure(await grant(streamId, bob.account.address, "edit", "--expires", "soon"), 2, /Invalid expiry "soon"/);
    expectFailure(await grant(streamId, bob.account.address, "edit", "--expires", "2001-01-01"), 2, /Expiry \d+ is not in the future on chain/);
    expectFailure(await chain.keyway(["permission", "check", streamId, "nobody", "edit"]), 2, /Invalid address: "nobody"/);
    expectFailure(await chain.keyway(["permission", "check", streamId, "public", "fly"]), 2, /Invalid permission "fly"/);
    expectFailure(await chain.keyway(["permission", "set", streamId, "--assign", "public"], { signer: alice }), 2, /Invalid --assign "public"/);
    expectFailure(await chain.keyway(["permission", "list", "0xf39f/x"]), 2, /Invalid stream id/);
    expect(await list()).to.deep.equal(before);
  });

  it("reports an unknown stream with exit 3 for every command", async function () {
    const unknown = `${alice.account.address.toLowerCase()}/missing`;
    expectFailure(await chain.keyway(["permission", "list", unknown]), 3, new RegExp(`Stream not found: ${unknown}`));
    expectFailure(await chain.keyway(["permission", "check", unknown, "public", "subscribe"]), 3, /Stream not found/);
    expectFailure(await chain.keyway(["permission", "grant", unknown, "public", "subscribe"], { signer: alice }), 3, /Stream not found/);
    expectFailure(await chain.keyway(["permission", "revoke", unknown, "public", "subscribe"], { signer: alice }), 3, /Stream not found/);
    expectFailure(await chain.keyway(["permission", "set", unknown, "--assign", "public=subscribe"], { signer: alice }), 3, /Stream not found/);
  });

  it("writes without a key fail with exit 5 and change nothing", async function () {
    const before = await list();
    expectFailure(await chain.keyway(["permission", "grant", streamId, "public", "publish"]), 5, /needs a private key: pass --private-key or set KEYWAY_PRIVATE_KEY/);
    expectFailure(await chain.keyway(["permission", "revoke", streamId, "public", "subscribe"]), 5, /needs a private key/);
    expectFailure(await chain.keyway(["permission", "set", streamId, "--assign", "public=publish"]), 5, /needs a private key/);
    expect(await list()).to.deep.equal(before);
  });

  it("revoke removes permissions (human and --json); a holder may revoke their own", async function () {
    const human = await chain.keyway(["permission", "revoke", streamId, bob.account.address, "publish"], { signer: alice });
    expect(human.code, human.stderr).to.equal(0);
    expect(human.stdout).to.match(new RegExp(`^Revoked publish of ${bob.account.address} on ${streamId}\\n  transaction: 0x[0-9a-f]{64}\\n`));
    expect((await list()).find((a) => a.userId === bobId)!.permissions).to.deep.equal(["subscribe"]);

    const own = parseJson<{ assignments: Assignment[] }>(
      await chain.keyway(["permission", "revoke", streamId, bob.account.address, "subscribe", "--json"], { signer: bob }),
    );
    expect(own.assignments).to.deep.equal([{ userId: bobId, permissions: ["subscribe"] }]);
    expect((await list()).find((a) => a.userId === bobId)).to.equal(undefined);
  });

  it("set overwrites several holders in one transaction and clears one with an empty list (human and --json)", async function () {
    const human = await chain.keyway(
      ["permission", "set", streamId, "--assign", `${bob.account.address}=publish,subscribe@12h`, "--assign", "public="],
      { signer: alice },
    );
    expect(human.code, human.stderr).to.equal(0);
    expect(human.stdout).to.match(new RegExp(`^Set permissions on ${streamId}:\\n  publish, subscribe for ${bob.account.address} until .* \\(in (11h 59m|12h)\\)\\n  public: all permissions cleared\\n  transaction: 0x[0-9a-f]{64}\\n`));
    const after = await list();
    expect(after.find((a) => a.public)).to.equal(undefined);
    expect(after.find((a) => a.userId === bobId)!.permissions).to.deep.equal(["publish", "subscribe"]);

    const json = parseJson<{ assignments: Assignment[]; blockNumber: number }>(
      await chain.keyway(["permission", "set", streamId, "--assign", `${bob.account.address}=grant`, "--assign", `${carol.account.address}=edit,delete`, "--json"], { signer: alice }),
    );
    expect(json.assignments).to.deep.equal([
      { userId: bobId, permissions: ["grant"] },
      { userId: carol.account.address.toLowerCase(), permissions: ["edit", "delete"] },
    ]);
    const final = await list();
    expect(final.find((a) => a.userId === bobId)).to.deep.equal({ userId: bobId, permissions: ["grant"] });
    expect(final.find((a) => a.userId === carol.account.address.toLowerCase())!.permissions).to.deep.equal(["edit", "delete"]);
  });
});
