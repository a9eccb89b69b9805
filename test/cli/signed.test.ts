import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { type Address, createPublicClient, http } from "viem";
import { expectFailure, parseJson, startTestChain, type TestChain } from "./harness";

type Account = TestChain["accounts"][number];
type Assignment = { userId?: string; public?: true; permissions: string[] };

describe("keyway --sign-only and tx submit", function () {
  let chain: TestChain;
  let alice: Account; // signs
  let bob: Account; // submits, holds nothing
  let carol: Account;
  let streamId: string;
  let dir: string;

  before(async function () {
    chain = await startTestChain();
    [alice, bob, carol] = chain.accounts;
    streamId = `${alice.account.address.toLowerCase()}/signed`;
    dir = await mkdtemp(path.join(tmpdir(), "keyway-signed-"));
  });
  after(async function () {
    await chain?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const transactionCount = (account: Account) =>
    createPublicClient({ transport: http(chain.node.url) }).getTransactionCount({ address: account.account.address as Address });

  /** Runs a write with --sign-only as Alice: one JSON line on stdout and no transaction; returns the file it was saved to. */
  async function signOnly(args: string[], name: string): Promise<string> {
    const sent = await transactionCount(alice);
    const result = await chain.keyway([...args, "--sign-only"], { signer: alice });
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stdout.trim().split("\n")).to.have.length(1);
    expect(parseJson<{ signer: string; functionName: string }>(result)).to.include({ signer: alice.account.address });
    expect(await transactionCount(alice)).to.equal(sent);
    const file = path.join(dir, `${name}.json`);
    await writeFile(file, result.stdout);
    return file;
  }

  async function submit(file: string, ...flags: string[]) {
    return chain.keyway(["tx", "submit", file, ...flags], { signer: bob });
  }

  async function holders(): Promise<Assignment[]> {
    return parseJson<Assignment[]>(await chain.keyway(["permission", "list", streamId, "--json"]));
  }

  it("signs create, grant, set, revoke, update and delete without a transaction; another key submits each and it applies as Alice's", async function () {
    const created = await submit(await signOnly(["stream", "create", "/signed", "--metadata", '{"unit":"C"}'], "create"));
    expect(created.code, created.stderr).to.equal(0);
    expect(created.stdout).to.match(new RegExp(`^Applied createStream signed by ${alice.account.address} \\(nonce 0\\)\n  transaction: 0x[0-9a-f]{64}`));

    expect((await submit(await signOnly(["permission", "grant", streamId, bob.account.address, "publish", "subscribe", "--expires", "7d"], "grant"))).code).to.equal(0);
    expect((await submit(await signOnly(["permission", "set", streamId, "--assign", `${carol.account.address}=subscribe`], "set"))).code).to.equal(0);
    expect((await submit(await signOnly(["permission", "revoke", streamId, bob.account.address, "publish"], "revoke"))).code).to.equal(0);
    expect((await holders()).map((h) => [h.userId, h.permissions])).to.deep.equal([
      [alice.account.address, ["edit", "delete", "publish", "subscribe", "grant"]],
      [bob.account.address, ["subscribe"]],
      [carol.account.address, ["subscribe"]],
    ]);

    expect((await submit(await signOnly(["stream", "update", streamId, "--metadata", '{"unit":"K"}'], "update"))).code).to.equal(0);
    const shown = parseJson<{ metadata: string }>(await chain.keyway(["stream", "show", streamId, "--json"]));
    expect(shown.metadata).to.equal('{"unit":"K"}');

    const deleted = await submit(await signOnly(["stream", "delete", streamId], "delete"), "--json");
    expect(parseJson<{ functionName: string; nonce: string }>(deleted)).to.include({ functionName: "deleteStream", nonce: "5" });
    expectFailure(await chain.keyway(["stream", "show", streamId]), 3, /not found/i);
  });

  it("refuses a reused, tampered or expired signed change with one line and exit 14, sending nothing", async function () {
    const file = await signOnly(["stream", "create", "/again"], "again");
    expect((await submit(file)).code).to.equal(0);

    // Tampered before it was ever sent: its nonce is unused, only the signature can refuse it.
    const tampered = path.join(dir, "tampered.json");
    const change = JSON.parse(await readFile(await signOnly(["stream", "create", "/fresh"], "fresh"), "utf8")) as { args: string[] };
    await writeFile(tampered, JSON.stringify({ ...change, args: ["/other", change.args[1]] }));
    const expired = await signOnly(["stream", "create", "/late", "--deadline", "2020-01-01"], "expired");

    const sent = await transactionCount(bob);
    expectFailure(await submit(file), 14, /nonce \d+ of 0x[0-9a-fA-F]{40} was already used/i);
    expectFailure(await submit(tampered), 14, /invalid signature/i);
    expectFailure(await submit(expired), 14, /expired/i);
    expect(await transactionCount(bob)).to.equal(sent);
    expectFailure(await chain.keyway(["stream", "show", `${alice.account.address.toLowerCase()}/other`]), 3, /not found/i);
  });

  it("refuses a file that is missing or not a signed change with exit 2, and a missing key with exit 5", async function () {
    const notChange = path.join(dir, "not-a-change.json");
    await writeFile(notChange, '{"hello":1}');
    expectFailure(await submit(path.join(dir, "missing.json")), 2, /cannot read/);
    expectFailure(await submit(notChange), 2, /not a signed change/i);
    expectFailure(await chain.keyway(["tx", "submit", await signOnly(["stream", "create", "/nokey"], "nokey")]), 5, /private key/);
    expectFailure(await chain.keyway(["stream", "create", "/x", "--sign-only", "--nonce", "-1"], { signer: alice }), 2, /--nonce/);
  });
});
