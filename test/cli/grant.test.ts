import { expect } from "chai";
import type { Address } from "viem";
import { parseAccessGrant, PUBLISH_BIT, SUBSCRIBE_BIT, verifyAccessGrant } from "../../sdk";
import { expectFailure, parseJson, startTestChain, type TestChain } from "./harness";

describe("keyway grant issue", function () {
  let chain: TestChain;
  let streamId: string;

  before(async function () {
    chain = await startTestChain();
    const [alice] = chain.accounts;
    streamId = `${alice.account.address.toLowerCase()}/granted`;
    const created = await chain.keyway(["stream", "create", "/granted"], { signer: alice });
    expect(created.code, created.stderr).to.equal(0);
  });
  after(async function () {
    await chain?.stop();
  });

  it("prints an access grant signed by the key, for this chain and registry, as one JSON line", async function () {
    const [alice, bob] = chain.accounts;
    const before = Date.now();
    const result = await chain.keyway(["grant", "issue", streamId, bob.account.address, "publish", "Subscribe", "--expires", "1h"], { signer: alice });
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stdout.trim().split("\n")).to.have.length(1);
    const grant = parseAccessGrant(parseJson(result));
    expect(grant).to.include({ streamId, grantee: bob.account.address.toLowerCase(), issuer: alice.account.address.toLowerCase(), permissions: PUBLISH_BIT | SUBSCRIBE_BIT });
    expect(grant.expiresAt * 1000).to.be.within(before + 3_599_000, Date.now() + 3_600_000);
    expect(verifyAccessGrant(grant, { chainId: chain.deployment.chainId, verifyingContract: chain.deployment.registryAddress as Address })).to.equal(true);
  });

  it("refuses other permissions, a missing --expires and a missing key, with one line and the documented exit code", async function () {
    const [alice, bob] = chain.accounts;
    expectFailure(await chain.keyway(["grant", "issue", streamId, bob.account.address, "edit", "--expires", "1h"], { signer: alice }), 2, /only publish and subscribe/i);
    expectFailure(await chain.keyway(["grant", "issue", streamId, bob.account.address, "publish"], { signer: alice }), 2, /--expires/);
    expectFailure(await chain.keyway(["grant", "issue", streamId, "0x1234", "publish", "--expires", "1h"], { signer: alice }), 2, /address/i);
    expectFailure(await chain.keyway(["grant", "issue", streamId, bob.account.address, "publish", "--expires", "1h"]), 5, /signer|key/i);
  });
});
