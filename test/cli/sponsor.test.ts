import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { createPublicClient, http } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { devAccounts } from "../../scripts/devChain";
import { expectFailure, runKeyway } from "./harness";
import { type CliRelayChain, startCliRelayChain } from "./relayChain";

/** `keyway tx sponsor`: a key with 0 ETH signs (--sign-only), the relay's sponsor key sends. */
describe("keyway tx sponsor", function () {
  let chain: CliRelayChain;
  let dir: string;
  const poorKey = generatePrivateKey();
  const poor = privateKeyToAccount(poorKey).address;

  before(async function () {
    chain = await startCliRelayChain({ sponsorKey: devAccounts(6)[5].privateKey });
    dir = await mkdtemp(path.join(tmpdir(), "keyway-sponsor-"));
    expect((await chain.keyway(["stream", "create", "/sponsored"], { signer: 0 })).code).to.equal(0);
  });
  after(async function () {
    await chain?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const streamId = () => `${chain.accounts[0].account.address.toLowerCase()}/sponsored`;
  const asPoor = (args: string[]) => runKeyway(args, { env: { ...chain.envOf(), KEYWAY_PRIVATE_KEY: poorKey } });

  it("a key holding 0 ETH signs a grant and has the relay send it; sending it again is exit 14", async function () {
    expect((await chain.keyway(["permission", "grant", streamId(), poor, "grant"], { signer: 0 })).code).to.equal(0);
    const signed = await asPoor(["permission", "grant", streamId(), chain.accounts[1].account.address, "subscribe", "--sign-only"]);
    expect(signed.code, signed.stderr).to.equal(0);
    const file = path.join(dir, "grant.json");
    await writeFile(file, signed.stdout);

    const sent = await asPoor(["tx", "sponsor", file]);
    expect(sent.code, sent.stderr).to.equal(0);
    expect(sent.stdout).to.match(new RegExp(`^Applied grantPermissions signed by ${poor} \\(nonce 0\\), sent by the relay\n  transaction: 0x[0-9a-f]{64}`));
    const check = await chain.keyway(["permission", "check", streamId(), chain.accounts[1].account.address, "subscribe", "--no-public"]);
    expect(check.stdout).to.match(/^yes/);
    const node = createPublicClient({ transport: http(chain.rpcUrl) });
    expect([await node.getBalance({ address: poor }), await node.getTransactionCount({ address: poor })]).to.deep.equal([0n, 0]);

    expectFailure(await asPoor(["tx", "sponsor", file]), 14, /nonce 0 of 0x[0-9a-fA-F]{40} was already used/i);
  });

  it("refuses a file that is not a signed change (exit 2) and a missing key (exit 5)", async function () {
    const bad = path.join(dir, "bad.json");
    await writeFile(bad, "{}");
    expectFailure(await asPoor(["tx", "sponsor", bad]), 2, /not a signed change/i);
    const signed = await asPoor(["permission", "revoke", streamId(), chain.accounts[1].account.address, "subscribe", "--sign-only"]);
    const file = path.join(dir, "revoke.json");
    await writeFile(file, signed.stdout);
    expectFailure(await chain.keyway(["tx", "sponsor", file]), 5, /private key/);
  });
});
