import { expect } from "chai";
import type { Page } from "playwright-core";
import { createPublicClient, http } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { KeywayClient, StreamPermission } from "../../sdk";
import { startAppStack, type AppStack } from "./harness";
import { button, openStream, settledTransaction, showTab, textbox, until } from "./page";

const permissionsPanel = (page: Page) => page.getByRole("region", { name: "Permissions" });

describe("the dApp with an account holding 0 ETH (changes sponsored by the relay)", function () {
  this.timeout(300_000);
  let stack: AppStack;
  let owner: KeywayClient;
  let streamId: string;
  const key = generatePrivateKey();
  const poor = privateKeyToAccount(key).address;

  before(async function () {
    stack = await startAppStack();
    owner = new KeywayClient({ rpcUrl: stack.node.url, deployment: stack.deployment, privateKey: stack.accounts[0].privateKey, cache: false });
    streamId = (await owner.createStream("/sponsored")).id;
    // The account without ETH holds Grant: it may change permissions, it cannot pay for a transaction.
    await owner.grantPermissions(streamId, { userId: poor, permissions: [StreamPermission.GRANT] });
  });
  after(async function () {
    owner?.destroy();
    await stack?.stop();
  });

  it("grants and revokes: the wallet signs the change (one typed-data prompt each), the relay sends it, the balance stays 0", async function () {
    const signatures: string[] = [];
    const page = await stack.openApp(0, { privateKey: key, onSignatureRequest: (method) => signatures.push(method) });
    await openStream(page, streamId);
    await showTab(page, "Access");
    const bob = stack.accounts[1].account.address;
    const holds = () => owner.hasPermission({ streamId, userId: bob, permission: StreamPermission.PUBLISH });

    await textbox(page, "Address").fill(bob);
    await permissionsPanel(page).getByRole("checkbox", { name: "Publish", exact: true }).check();
    await button(page, "Grant").click();
    expect(await settledTransaction(page)).to.match(/Grant publish to 0x7099…79C8 \(signed, sent by the relay: no ETH needed\): confirmed in block \d+/);
    expect(await holds()).to.equal(true);

    await textbox(page, "Address").fill(bob);
    await permissionsPanel(page).getByRole("checkbox", { name: "Publish", exact: true }).check();
    await button(page, "Revoke").click();
    expect(await settledTransaction(page)).to.match(/Revoke publish from 0x7099…79C8 \(signed, sent by the relay: no ETH needed\): confirmed/);
    expect(await holds()).to.equal(false);

    const chain = createPublicClient({ transport: http(stack.node.url) });
    expect(await chain.getBalance({ address: poor })).to.equal(0n);
    expect(await chain.getTransactionCount({ address: poor })).to.equal(0);
    expect(signatures.filter((m) => m === "eth_signTypedData_v4").length).to.be.at.least(2);
    expect(signatures).to.not.include("eth_sendTransaction");

    // Its Grant taken away (Subscribe left, so Revoke stays for its own): the page follows, and a
    // change it may not make is refused by the simulation, before any typed-data prompt.
    await owner.setPermissions({ streamId, assignments: [{ userId: poor, permissions: [StreamPermission.SUBSCRIBE] }] });
    await until(async () => await button(page, "Grant").isDisabled(), "the page to follow the lost Grant");
    const prompts = signatures.length;
    await textbox(page, "Address").fill(bob);
    await permissionsPanel(page).getByRole("checkbox", { name: "Publish", exact: true }).check();
    await button(page, "Revoke").click();
    expect(await settledTransaction(page)).to.match(/Revoke publish from 0x7099…79C8 \(signed, sent by the relay: no ETH needed\): not sent, the registry would refuse it/);
    expect(await permissionsPanel(page).getByRole("alert").innerText()).to.equal(`Not authorised: ${poor.slice(0, 6)}…${poor.slice(-4)} does not hold grant on ${streamId}.`);
    expect(signatures.length).to.equal(prompts);
  });
});
