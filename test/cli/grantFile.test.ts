import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { StreamPermission } from "../../sdk";
import { createTestStream, until } from "../relay/helpers";
import { expectFailure } from "./harness";
import { type CliRelayChain, startCliRelayChain } from "./relayChain";

describe("keyway subscribe | publish --grant <file>", function () {
  let chain: CliRelayChain;
  let directory: string;
  const address = (index: number) => chain.accounts[index].account.address.toLowerCase();

  before(async function () {
    chain = await startCliRelayChain();
    directory = mkdtempSync(path.join(tmpdir(), "keyway-grant-"));
  });
  afterEach(async function () {
    await chain.stopAll();
  });
  after(async function () {
    rmSync(directory, { recursive: true, force: true });
    await chain?.stop();
  });

  /** A private stream where account #2 holds Grant only, and a file with the grant #2 issued to `grantee` with `keyway grant issue`. */
  async function grantFile(grantee: number, permissions: string[]): Promise<{ streamId: string; file: string }> {
    const owner = chain.clientOf(0);
    const streamId = await createTestStream(owner);
    await owner.grantPermissions(streamId, { userId: address(2), permissions: [StreamPermission.GRANT] });
    const issued = await chain.keyway(["grant", "issue", streamId, address(grantee), ...permissions, "--expires", "1h"], { signer: 2 });
    expect(issued.code, issued.stderr).to.equal(0);
    const file = path.join(directory, `grant-${grantee}-${Date.now()}.json`);
    writeFileSync(file, issued.stdout);
    return { streamId, file };
  }

  it("subscribes and publishes with the grant of a Grant holder (the grantee holds nothing); the subscription ends when the issuer loses Grant", async function () {
    const { streamId, file } = await grantFile(3, ["publish", "subscribe"]);
    const subscriber = chain.start(["subscribe", streamId, "--grant", file, "--from", String(Date.now() - 1)], { signer: 3 });
    // Without the grant, #3 may not publish.
    expectFailure(await chain.keyway(["publish", streamId], { signer: 3, input: '{"no":"grant"}\n' }), 9, /no-permission|permission/);
    const published = await chain.keyway(["publish", streamId, "--grant", file, "--json"], { signer: 3, input: '{"with":"grant"}\n' });
    expect(published.code, published.stderr).to.equal(0);
    const message = JSON.parse(published.stdout.trim()) as { publisher: string; grant: { issuer: string } };
    expect(message.publisher).to.equal(address(3));
    expect(message.grant.issuer).to.equal(address(2));

    await until(() => subscriber.stdoutLines().length === 1, `the message at the subscriber (stderr: ${subscriber.stderr()})`);
    expect(JSON.parse(subscriber.stdoutLines()[0])).to.include({ streamId, publisher: address(3) }).and.to.deep.include({ content: { with: "grant" } });

    const revoked = await chain.keyway(["permission", "revoke", streamId, address(2), "grant"], { signer: 0 });
    expect(revoked.code, revoked.stderr).to.equal(0);
    const result = await subscriber.exited;
    expect(result.code, result.stderr).to.equal(12);
    expect(result.stderr).to.equal("keyway: the relay ended the subscription: PERMISSION_REVOKED\n");
  });

  it("refuses a grant to someone else (exit 4 on subscribe, 9 on publish)", async function () {
    const { streamId, file } = await grantFile(4, ["publish", "subscribe"]);
    expectFailure(await chain.keyway(["subscribe", streamId, "--grant", file], { signer: 3 }), 4, /access grant/);
    expectFailure(await chain.keyway(["publish", streamId, "--grant", file], { signer: 3, input: "1\n" }), 9, /invalid-grant|grant/);
  });

  it("a missing, unreadable, non-JSON or malformed --grant file is one line on stderr and exit 2, before anything is sent", async function () {
    const { streamId, file } = await grantFile(3, ["subscribe"]);
    const notJson = path.join(directory, "not-json.txt");
    writeFileSync(notJson, "grant please\n");
    const malformed = path.join(directory, "malformed.json");
    const grant = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    writeFileSync(malformed, JSON.stringify({ ...grant, issuer: undefined }));
    for (const command of [["subscribe", streamId], ["publish", streamId]]) {
      expectFailure(await chain.keyway([...command, "--grant", path.join(directory, "absent.json")], { signer: 3, input: "1\n" }), 2, /--grant: cannot read .*absent\.json \(ENOENT\)/);
      expectFailure(await chain.keyway([...command, "--grant", directory], { signer: 3, input: "1\n" }), 2, /--grant: cannot read .*\(EISDIR\)/);
      expectFailure(await chain.keyway([...command, "--grant", notJson], { signer: 3, input: "1\n" }), 2, /^keyway: --grant: .*not-json\.txt is not an access grant: the text is not JSON\n$/);
      expectFailure(await chain.keyway([...command, "--grant", malformed], { signer: 3, input: "1\n" }), 2, /--grant: .*is not an access grant: .*issuer is missing/);
    }
  });
});
