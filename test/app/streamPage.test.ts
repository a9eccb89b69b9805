import { expect } from "chai";
import type { Page } from "playwright-core";
import { KeywayClient, StreamPermission } from "../../sdk";
import { seriousViolations } from "./accessibility";
import { startAppStack, type AppStack } from "./harness";
import { button, connect, openStream, rowOf, screenshot, settledTransaction, showTab, textbox, until } from "./page";

/** The page's KeywayClient polls the registry's events at viem's default for HTTP: views must follow within one poll and a second. */
const PAGE_POLL_MS = 4_000;
const FOLLOW_BOUND_MS = PAGE_POLL_MS + 1_000;

const heldList = (page: Page) => page.getByRole("list", { name: "Your streams" });
const permissionsPanel = (page: Page) => page.getByRole("region", { name: "Permissions" });
const streamUrl = (base: string, streamId: string, tab = "") => `${base}#/streams/${encodeURIComponent(streamId)}${tab}`;

/** Fails with axe-core's serious and critical findings on what the page shows now. */
async function expectAccessible(page: Page, screen: string): Promise<void> {
  expect(await seriousViolations(page), `axe-core on ${screen}`).to.deep.equal([]);
}

describe("the dApp's stream pages: URLs, tabs, live views, simulated writes, accessibility", function () {
  this.timeout(300_000);
  let stack: AppStack;
  let owner: KeywayClient;
  let streamA: string;
  let streamB: string;
  let alice: string;
  let bob: string;
  let carol: string;

  before(async function () {
    stack = await startAppStack();
    [alice, bob, carol] = stack.accounts.map(({ account }) => account.address);
    owner = new KeywayClient({ rpcUrl: stack.node.url, deployment: stack.deployment, privateKey: stack.accounts[0].privateKey, cache: false });
    streamA = (await owner.createStream("/pages/a", { metadata: '{"unit":"celsius"}' })).id;
    streamB = (await owner.createStream("/pages/b")).id;
    // Bob only watches A and B; Carol subscribes to A (what a refused revoke must leave in place).
    await owner.grantPermissions(streamA, { userId: bob, permissions: [StreamPermission.SUBSCRIBE] }, { userId: carol, permissions: [StreamPermission.SUBSCRIBE] });
    await owner.grantPermissions(streamB, { userId: bob, permissions: [StreamPermission.SUBSCRIBE] });
  });

  after(async function () {
    owner?.destroy();
    await stack?.stop();
  });

  it("opens a stream from its URL in a fresh page, and Back and Forward go between streams and tabs", async function () {
    const page = await (await stack.newContext(1)).newPage();
    await page.goto(streamUrl(stack.server.url, streamA));
    await page.getByRole("status").filter({ hasText: "Connect a wallet" }).waitFor();
    await connect(page);
    await page.getByRole("heading", { name: `Stream ${streamA}` }).waitFor();
    await expectAccessible(page, "home with a stream's overview");

    await showTab(page, "Access");
    expect(new URL(page.url()).hash).to.equal(`#/streams/${encodeURIComponent(streamA)}/access`);
    await heldList(page).getByRole("link", { name: streamB }).click();
    await page.getByRole("heading", { name: `Stream ${streamB}` }).waitFor();
    await page.goBack();
    await page.getByRole("heading", { name: `Stream ${streamA}` }).waitFor();
    expect(await page.getByRole("tab", { name: "Access", exact: true }).getAttribute("aria-selected")).to.equal("true");
    await page.goBack();
    expect(await page.getByRole("tab", { name: "Overview", exact: true }).getAttribute("aria-selected")).to.equal("true");
    await page.goForward();
    await page.goForward();
    await page.getByRole("heading", { name: `Stream ${streamB}` }).waitFor();
    await page.context().close();
  });

  it("answers a bad stream address in words: malformed, not an address, no such stream", async function () {
    const page = await (await stack.newContext(1)).newPage();
    await page.goto(`${stack.server.url}#/streams/not-a-stream`);
    const invalid = page.getByRole("alert").filter({ hasText: "That is not a valid stream" });
    await invalid.waitFor();
    await expectAccessible(page, "a malformed stream id");
    await screenshot(page, "bad-id");

    await page.goto(`${stack.server.url}#/nowhere/%E0%A4%A`);
    await page.getByRole("alert").filter({ hasText: "This page does not exist" }).waitFor();

    await connect(page);
    await page.goto(streamUrl(stack.server.url, `${alice.toLowerCase()}/pages/missing`));
    await page.getByRole("alert").filter({ hasText: "This stream does not exist (it may have been deleted)." }).waitFor();
    expect(await page.getByRole("tab").count()).to.equal(0);
    await expectAccessible(page, "a stream that does not exist");
    await page.context().close();
  });

  it("splits a stream into Overview, Access and Live tabs; the owner gets the forms, each screen passes axe-core", async function () {
    const page = await stack.openApp(0);
    await expectAccessible(page, "the start screen");
    await connect(page);
    await heldList(page).getByRole("link", { name: streamA }).waitFor();
    await screenshot(page, "home");
    await expectAccessible(page, "the start screen, connected");
    await heldList(page).getByRole("link", { name: streamA }).click();
    const tabs = page.getByRole("tablist", { name: "Stream" }).getByRole("tab");
    expect(await tabs.allInnerTexts()).to.deep.equal(["Overview", "Access", "Live"]);

    await textbox(page, "Stream metadata").waitFor();
    await button(page, "Delete stream").waitFor();
    await screenshot(page, "stream-overview");
    await expectAccessible(page, "the owner's overview");

    await showTab(page, "Access");
    await until(async () => (await rowOf(page, bob)) !== undefined, "Bob's row");
    expect(await button(page, "Grant").isEnabled()).to.equal(true);
    await screenshot(page, "stream-access");
    await expectAccessible(page, "the owner's access tab");

    await showTab(page, "Live");
    await button(page, "Subscribe").click();
    await page.getByRole("status").filter({ hasText: "Subscribed" }).waitFor();
    await textbox(page, "Message").fill('{"temperature":21.5}');
    await button(page, "Publish").click();
    await page.getByRole("log", { name: "Live messages" }).getByRole("listitem").first().waitFor();
    await screenshot(page, "stream-live");
    await expectAccessible(page, "the live tab");
    await page.context().close();
  });

  it("shows a visitor who only watches no form it cannot use, and says why beside what is disabled", async function () {
    const page = await stack.openApp(1);
    await openStream(page, streamA);
    await page.getByText("Changing the metadata needs the edit permission, which 0x7099…79C8 does not hold on this stream.").waitFor();
    await page.getByText("Deleting the stream needs the delete permission, which 0x7099…79C8 does not hold on this stream.").waitFor();
    expect(await textbox(page, "Stream metadata").count()).to.equal(0);
    expect(await button(page, "Delete stream").count()).to.equal(0);
    expect(await button(page, "Save schema").count()).to.equal(0);
    await expectAccessible(page, "a watcher's overview");

    await showTab(page, "Access");
    expect(await button(page, "Grant").isDisabled()).to.equal(true);
    expect(await button(page, "Set").isDisabled()).to.equal(true);
    await page.getByText("Granting and setting permissions needs the grant permission, which 0x7099…79C8 does not hold on this stream.").waitFor();
    expect(await page.getByRole("button", { name: /^Change permissions of/ }).count()).to.equal(0);
    await expectAccessible(page, "a watcher's access tab");
    await page.context().close();
  });

  it("simulates a write before the wallet: a refused one says what is missing, and the wallet is asked nothing", async function () {
    const prompts: string[] = [];
    const page = await stack.openApp(1, { onSignatureRequest: (method) => prompts.push(method) });
    await openStream(page, streamA, "Access");
    // Bob may revoke only his own permissions: revoking Carol's needs Grant.
    await textbox(page, "Address").fill(carol);
    await permissionsPanel(page).getByRole("checkbox", { name: "Subscribe", exact: true }).check();
    await button(page, "Revoke").click();
    const alert = permissionsPanel(page).getByRole("alert");
    await alert.waitFor();
    expect(await alert.innerText()).to.equal(`Not authorised: 0x7099…79C8 does not hold grant on ${streamA}.`);
    expect(await settledTransaction(page)).to.equal(`Revoke subscribe from 0x3C44…93BC: not sent, the registry would refuse it — Not authorised: 0x7099…79C8 does not hold grant on ${streamA}.`);
    expect(prompts).to.deep.equal([]);
    expect(await owner.hasPermission({ streamId: streamA, userId: carol, permission: StreamPermission.SUBSCRIBE })).to.equal(true);

    // A stream that exists already: the create is refused the same way.
    await textbox(page, "Stream path").fill("/pages/taken");
    const bobClient = new KeywayClient({ rpcUrl: stack.node.url, deployment: stack.deployment, privateKey: stack.accounts[1].privateKey, cache: false });
    await bobClient.createStream("/pages/taken");
    bobClient.destroy();
    await button(page, "Create stream").click();
    await page.getByRole("alert").filter({ hasText: "You already have a stream at this path; pick another path." }).waitFor();
    expect(await settledTransaction(page)).to.match(/^Create stream \/pages\/taken: not sent, the registry would refuse it/);
    expect(prompts).to.deep.equal([]);
    await page.context().close();
  });

  it("follows the registry: the owner revokes in one browser, the reader's open table, streams and metadata update without a reload", async function () {
    const ownerPage = await stack.openApp(0);
    await openStream(ownerPage, streamA, "Access");
    const readerPage = await stack.openApp(1);
    await openStream(readerPage, streamA, "Access");
    await until(async () => (await rowOf(readerPage, bob))?.[4] === "forever", "Bob's Subscribe in his table");
    const listed = heldList(readerPage).getByRole("listitem").filter({ hasText: streamA });
    await listed.waitFor();
    expect(await listed.innerText()).to.include("subscribe");

    await textbox(ownerPage, "Address").fill(bob);
    await permissionsPanel(ownerPage).getByRole("checkbox", { name: "Subscribe", exact: true }).check();
    await button(ownerPage, "Revoke").click();
    expect(await settledTransaction(ownerPage)).to.match(/Revoke subscribe from 0x7099…79C8: confirmed/);
    const revokedAt = Date.now();
    await until(async () => (await rowOf(readerPage, bob)) === undefined, "Bob's row to go from his open table", FOLLOW_BOUND_MS);
    await listed.waitFor({ state: "detached", timeout: Math.max(1, FOLLOW_BOUND_MS - (Date.now() - revokedAt)) });
    console.log(`      reader's table and streams followed the revocation in ${Date.now() - revokedAt} ms (bound ${FOLLOW_BOUND_MS} ms)`);

    await owner.updateStreamMetadata(streamA, '{"unit":"kelvin"}');
    await showTab(readerPage, "Overview");
    await readerPage.getByText('{"unit":"kelvin"}').waitFor({ timeout: FOLLOW_BOUND_MS });
    await ownerPage.context().close();
    await readerPage.context().close();
  });

  it("drops a permission from the open table when its expiry passes on chain", async function () {
    const chainNow = Number((await owner.context.publicClient.request({ method: "eth_getBlockByNumber", params: ["latest", false] }) as { timestamp: string }).timestamp);
    await owner.grantPermissions(streamB, { userId: carol, permissions: [StreamPermission.PUBLISH], expiresAt: { publish: new Date((chainNow + 3_600) * 1000) } });
    const page = await stack.openApp(2);
    await openStream(page, streamB, "Access");
    await until(async () => (await rowOf(page, carol))?.[3]?.startsWith("until") === true, "Carol's Publish until its expiry");
    await owner.context.publicClient.request({ method: "evm_increaseTime" as never, params: [3_601] as never });
    await owner.context.publicClient.request({ method: "evm_mine" as never });
    await until(async () => (await rowOf(page, carol)) === undefined, "Carol's expired row to go", FOLLOW_BOUND_MS);
    await page.context().close();
  });
});
