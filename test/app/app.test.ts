import { expect } from "chai";
import os from "node:os";
import type { Page } from "playwright-core";
import { KeywayClient, StreamPermission } from "../../sdk";
import { bundleSize, startAppStack, type AppStack } from "./harness";
import { button, connect, rowOf, screenshot, settledTransaction, showTab, textbox, until } from "./page";

/** The Permissions panel: the session and grant panels have Publish and Subscribe checkboxes too. */
const permissionsPanel = (page: Page) => page.getByRole("region", { name: "Permissions" });

/** Records every text the newest transaction line shows, from the next change on (phases pass too fast to poll). */
async function recordTransactionPhases(page: Page): Promise<() => Promise<string[]>> {
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { __phases: string[] }).__phases = seen;
    new MutationObserver(() => {
      const line = document.querySelector('[role="log"] li')?.textContent ?? "";
      if (seen[seen.length - 1] !== line) seen.push(line);
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  return () => page.evaluate(() => (window as unknown as { __phases: string[] }).__phases);
}

describe("the dApp in Chromium (app/)", function () {
  this.timeout(300_000);
  let stack: AppStack;
  let alice: string;
  let bob: string;
  let carol: string;
  let reader: KeywayClient;
  const streamPath = "/sensors/temperature";
  let streamId: string;
  let alicePage: Page;

  before(async function () {
    stack = await startAppStack();
    [alice, bob, carol] = stack.accounts.map(({ account }) => account.address);
    streamId = `${alice.toLowerCase()}${streamPath}`;
    reader = new KeywayClient({ rpcUrl: stack.node.url, deployment: stack.deployment, cache: false });
  });

  after(async function () {
    reader?.destroy();
    await stack?.stop();
  });

  it("builds a lean bundle: what the page loads first", async function () {
    const { bytes, gzipped, initialGzipped } = await bundleSize(stack.appDir);
    console.log(`      app bundle: ${(bytes / 1024).toFixed(1)} KiB JS+CSS, ${(gzipped / 1024).toFixed(1)} KiB gzipped, ${(initialGzipped / 1024).toFixed(1)} KiB of it loaded first`);
    expect(initialGzipped).to.be.below(150 * 1024);
  });

  it("connects the injected wallet found through EIP-6963", async function () {
    alicePage = await stack.openApp(0);
    await connect(alicePage);
    expect(await alicePage.getByText("Connected as").innerText()).to.include(alice).and.include("Keyway Test Wallet");
    await screenshot(alicePage, "connect");
  });

  it("creates a stream: pending, then confirmed, opened, and listed under the account's streams", async function () {
    await textbox(alicePage, "Stream path").fill(streamPath);
    await textbox(alicePage, "Metadata").fill('{"unit":"celsius"}');
    const phases = await recordTransactionPhases(alicePage);
    await button(alicePage, "Create stream").click();
    expect(await settledTransaction(alicePage)).to.match(new RegExp(`Create stream ${streamPath}: confirmed in block \\d+`));
    const seen = await phases();
    // Simulated before the wallet is asked.
    expect(seen.slice(0, 2)).to.deep.equal([`Create stream ${streamPath}: checking with the registry…`, `Create stream ${streamPath}: waiting for the wallet…`]);
    expect(seen.some((line) => /: pending: sent, waiting to be mined… 0x[0-9a-f]{8}…$/.test(line)), seen.join("\n")).to.equal(true);
    await alicePage.getByRole("heading", { name: `Stream ${streamId}` }).waitFor();
    await alicePage.getByRole("list", { name: "Your streams" }).getByRole("link", { name: streamId }).waitFor();
    expect(await reader.getStreamMetadata(streamId)).to.equal('{"unit":"celsius"}');
    await showTab(alicePage, "Access");
    await until(async () => (await rowOf(alicePage, alice.toLowerCase())) !== undefined, "the creator's row");
    expect((await rowOf(alicePage, alice))!.slice(1, 6)).to.deep.equal(["forever", "forever", "forever", "forever", "forever"]);
    // The public has a row even when it holds nothing.
    expect((await rowOf(alicePage, "Public (anyone)"))!.slice(1, 6)).to.deep.equal(["n/a", "n/a", "—\nnot held", "—\nnot held", "n/a"]);
  });

  it("grants subscribe to a second account with an expiry", async function () {
    const expiry = new Date(Date.now() + 2 * 86_400_000);
    const typed = expiry.toISOString().slice(0, 16); // datetime-local, UTC (the page's zone)
    await textbox(alicePage, "Address").fill(bob);
    await permissionsPanel(alicePage).getByRole("checkbox", { name: "Subscribe", exact: true }).check();
    await alicePage.getByLabel("Expires").fill(typed);
    await button(alicePage, "Grant").click();
    expect(await settledTransaction(alicePage)).to.match(/Grant subscribe to 0x7099…79C8: confirmed in block \d+/);
    await until(async () => (await rowOf(alicePage, bob)) !== undefined, "Bob's row");
    const shown = `until ${typed.replace("T", " ")}:00`;
    expect((await rowOf(alicePage, bob))!.slice(1, 6)).to.deep.equal(["—\nnot held", "—\nnot held", "—\nnot held", shown, "—\nnot held"]);
    const onChain = await reader.getPermissionExpiry({ streamId, userId: bob, permission: StreamPermission.SUBSCRIBE });
    expect(onChain).to.equal(Date.parse(`${typed}Z`) / 1000);
    await screenshot(alicePage, "permissions");
  });

  it("rejects an expiry in the past before anything reaches the wallet", async function () {
    const before = await alicePage.getByRole("log", { name: "Transactions" }).getByRole("listitem").count();
    await textbox(alicePage, "Address").fill(carol);
    await alicePage.getByLabel("Expires").fill("2020-01-01T00:00");
    await button(alicePage, "Grant").click();
    await alicePage.getByRole("alert").filter({ hasText: "The expiry must be in the future." }).waitFor();
    expect(await alicePage.getByRole("log", { name: "Transactions" }).getByRole("listitem").count()).to.equal(before);
    expect(await reader.getPermissionExpiry({ streamId, userId: carol, permission: StreamPermission.SUBSCRIBE })).to.equal(0);
    await alicePage.getByLabel("Expires").fill("");
  });

  it("lists the stream for the grantee, from the registry's logs", async function () {
    const bobPage = await stack.openApp(1);
    await connect(bobPage);
    const entry = bobPage.getByRole("list", { name: "Your streams" }).getByRole("listitem").filter({ hasText: streamId });
    await entry.waitFor();
    expect(await entry.innerText()).to.include("subscribe");
    await bobPage.context().close();
  });

  it("shows an account holding nothing the permissions but no form, and says why", async function () {
    const carolPage = await stack.openApp(2);
    await connect(carolPage);
    await textbox(carolPage, "Stream id").fill(streamId);
    await button(carolPage, "Open").click();
    await showTab(carolPage, "Access");
    await until(async () => (await rowOf(carolPage, alice)) !== undefined, "the table");
    await carolPage.getByText("Changing permissions needs the grant permission, which 0x3C44…93BC does not hold on this stream.").waitFor();
    expect(await textbox(carolPage, "Address").count()).to.equal(0);
    expect(await carolPage.getByRole("button", { name: /^Change permissions of/ }).count()).to.equal(0);
    await screenshot(carolPage, "unauthorised");
    await carolPage.context().close();
  });

  it("says which network to switch to when the wallet is on another chain, and switches", async function () {
    const page = await stack.openApp(1, { reportChainId: 1 });
    await button(page, "Connect wallet").click();
    const alert = page.getByRole("alert").filter({ hasText: "Wrong network" });
    await alert.waitFor();
    expect(await alert.innerText()).to.include("is on chain 1, but this registry is on the local development chain (chain 31337)");
    expect(await page.getByText("Connected as").count()).to.equal(0);
    await button(page, "Switch network").click();
    await page.getByText("Connected as").waitFor();
    await page.context().close();
  });

  it("offers the development accounts, clearly marked, when no wallet is injected", async function () {
    const page = await stack.openApp(undefined);
    await page.getByRole("heading", { name: "Development accounts (local chain only)" }).waitFor();
    expect(await button(page, "Connect wallet").isDisabled()).to.equal(true);
    await button(page, "Use development account #1").click();
    expect(await page.getByText("Connected as").innerText()).to.include(bob).and.include("development key, local chain only");
    await page.getByRole("list", { name: "Your streams" }).getByRole("link", { name: streamId }).waitFor();
    await page.context().close();
  });

  it("edits the metadata, sets a holder's permissions in one transaction, and revokes", async function () {
    await showTab(alicePage, "Overview");
    await textbox(alicePage, "Stream metadata").fill('{"unit":"kelvin"}');
    await button(alicePage, "Save metadata").click();
    expect(await settledTransaction(alicePage)).to.match(/Update the metadata of .*: confirmed/);
    expect(await reader.getStreamMetadata(streamId)).to.equal('{"unit":"kelvin"}');

    // Carol: exactly publish and subscribe, no expiry; then publish revoked.
    await showTab(alicePage, "Access");
    await textbox(alicePage, "Address").fill(carol);
    for (const name of ["Publish", "Subscribe"]) await permissionsPanel(alicePage).getByRole("checkbox", { name, exact: true }).check();
    await button(alicePage, "Set").click();
    expect(await settledTransaction(alicePage)).to.match(/Set 0x3C44…93BC to exactly .*: confirmed/);
    await until(async () => (await rowOf(alicePage, carol))?.[3] === "forever", "Carol's row");
    expect((await rowOf(alicePage, carol))!.slice(3, 5)).to.deep.equal(["forever", "forever"]);

    await permissionsPanel(alicePage).getByRole("checkbox", { name: "Subscribe", exact: true }).uncheck();
    await button(alicePage, "Revoke").click();
    expect(await settledTransaction(alicePage)).to.match(/Revoke publish from 0x3C44…93BC: confirmed/);
    await until(async () => (await rowOf(alicePage, carol))?.[3] === "—\nnot held", "Carol's publish to go");
    expect(await reader.getPermissionExpiry({ streamId: streamId, userId: carol, permission: StreamPermission.SUBSCRIBE })).to.be.greaterThan(0);
  });

  it("deletes a stream after a confirmation, and it leaves the account's list", async function () {
    await textbox(alicePage, "Stream path").fill("/scratch");
    await button(alicePage, "Create stream").click();
    expect(await settledTransaction(alicePage)).to.match(/Create stream \/scratch: confirmed/);
    const scratch = `${alice.toLowerCase()}/scratch`;
    const listed = alicePage.getByRole("list", { name: "Your streams" }).getByRole("link", { name: scratch });
    await listed.waitFor();
    await alicePage.getByRole("heading", { name: `Stream ${scratch}` }).waitFor();
    await button(alicePage, "Delete stream").click();
    await button(alicePage, "Delete permanently").click();
    expect(await settledTransaction(alicePage)).to.match(/Delete .*\/scratch: confirmed/);
    await listed.waitFor({ state: "detached" });
    expect(await reader.getPermissions(streamId)).to.have.length.greaterThan(0);
    await textbox(alicePage, "Stream id").fill(scratch);
    await button(alicePage, "Open").click();
    await alicePage.getByRole("alert").filter({ hasText: "This stream does not exist (it may have been deleted)." }).first().waitFor();
  });

  describe("live view through the relay", function () {
    let bobPage: Page;
    let carolPage: Page;
    const liveMessages = (page: Page) => page.getByRole("log", { name: "Live messages" }).getByRole("listitem");

    /** Opens the stream by id and subscribes; resolves once the page says it is subscribed. */
    async function subscribe(page: Page): Promise<void> {
      await connect(page);
      await textbox(page, "Stream id").fill(streamId);
      await button(page, "Open").click();
      await showTab(page, "Live");
      await button(page, "Subscribe").click();
      await page.getByRole("status").filter({ hasText: "Subscribed" }).waitFor();
    }

    /** Publishes from `page`; resolves with the page's confirmation once the relay acknowledged (the box is cleared then). */
    async function publish(page: Page, text: string): Promise<string> {
      await textbox(page, "Message").fill(text);
      await button(page, "Publish").click();
      await until(async () => (await textbox(page, "Message").inputValue()) === "", `the relay to acknowledge ${JSON.stringify(text)}`);
      return page.getByRole("status").filter({ hasText: "Published message #" }).innerText();
    }

    after(async function () {
      await bobPage?.context().close();
      await carolPage?.context().close();
    });

    it("shows messages published from another browser arriving verified", async function () {
      await alicePage.getByRole("list", { name: "Your streams" }).getByRole("link", { name: streamId }).click();
      await alicePage.getByRole("heading", { name: `Stream ${streamId}` }).waitFor();
      await showTab(alicePage, "Live");
      // Bob (subscribe until the expiry granted above) in his own browser context.
      bobPage = await stack.openApp(1);
      await subscribe(bobPage);
      expect(await publish(alicePage, '{"temperature":21.5}')).to.match(/^Published message #0 at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.$/);
      const first = liveMessages(bobPage).first();
      await first.waitFor();
      // From navigation to the first message on screen: connect, open, subscribe (SIWE), Alice publishes.
      const firstMessageAt = await bobPage.evaluate(() => performance.now());
      console.log(`      page load to first live message: ${(firstMessageAt / 1000).toFixed(2)} s (load average ${os.loadavg()[0].toFixed(1)})`);
      const text = await first.innerText();
      // The public holds no Subscribe here: the message came encrypted and Bob's page decrypted it.
      expect(text).to.match(/^✓ verified encrypted #0 \d{4}-\d\d-\d\d \d\d:\d\d:\d\d from 0xf39f…2266\n\{"temperature":21\.5\}$/);
      await screenshot(bobPage, "live");
    });

    it("offers no publish form to an account without Publish, and says why and what would allow it", async function () {
      carolPage = await stack.openApp(2); // Carol holds subscribe (set above): a witness of what is delivered
      await subscribe(carolPage);
      const reason = bobPage.getByText(/^Publishing needs the publish permission/);
      await reason.waitFor();
      expect(await reason.innerText()).to.equal("Publishing needs the publish permission, which 0x7099…79C8 does not hold on this stream: paste an access grant that allows it above.");
      expect(await textbox(bobPage, "Message").count()).to.equal(0);
      expect(await button(bobPage, "Publish").count()).to.equal(0);
      // Pasting something into the grant box brings the form back (the grant is judged when publishing).
      await textbox(bobPage, "Access grant (optional)").fill("{}");
      await textbox(bobPage, "Message").waitFor();
      await textbox(bobPage, "Access grant (optional)").fill("");
      await reason.waitFor();
      await publish(alicePage, "seen by both");
      await liveMessages(carolPage).filter({ hasText: "seen by both" }).waitFor();
      expect(await liveMessages(carolPage).count()).to.equal(1);
      await until(async () => (await liveMessages(bobPage).count()) === 2, "Bob to get message #1");
    });

    it("shows who is watching, lets the owner set a schema (an unusable one refused in words), and explains a publish the schema refuses", async function () {
      await button(carolPage, "Show who is watching").click();
      const watching = carolPage.getByRole("list", { name: "Watching now" });
      // Bob and Carol (herself) subscribe: the panel asks again every 5 s.
      await until(async () => /0x7099…79c8[\s\S]*0x3c44…93bc|0x3c44…93bc[\s\S]*0x7099…79c8/.test(await watching.innerText().catch(() => "")), "Bob and Carol among the watchers");
      expect(await watching.getByRole("listitem").count()).to.equal(2);

      await showTab(alicePage, "Overview");
      await textbox(alicePage, "Schema").fill("{not json");
      await button(alicePage, "Save schema").click();
      await alicePage.getByRole("alert").filter({ hasText: "The schema is not JSON" }).waitFor();
      await textbox(alicePage, "Schema").fill('{"type":"string","pattern":"(a)\\\\1"}');
      await button(alicePage, "Save schema").click();
      await alicePage.getByRole("alert").filter({ hasText: "schema does not compile" }).waitFor();
      expect(await reader.getStreamMetadata(streamId)).to.equal('{"unit":"kelvin"}');

      await textbox(alicePage, "Schema").fill('{"type":"object","required":["temperature"]}');
      await button(alicePage, "Save schema").click();
      expect(await settledTransaction(alicePage)).to.match(/Set the schema of .*: confirmed/);
      expect(JSON.parse(await reader.getStreamMetadata(streamId))).to.deep.equal({ unit: "kelvin", schema: { type: "object", required: ["temperature"] } });
      // Refused once the relay's poll has seen the update: each try a new message.
      await showTab(alicePage, "Live");
      await until(async () => {
        await textbox(alicePage, "Message").fill('{"humidity":40}');
        await button(alicePage, "Publish").click();
        return alicePage.getByRole("alert").filter({ hasText: "matches the schema" }).isVisible({ timeout: 2_000 }).catch(() => false);
      }, "the relay to apply the schema");
      expect(await alicePage.getByRole("alert").filter({ hasText: "matches the schema" }).innerText()).to.equal(
        "This stream accepts only content that matches the schema its owner set, and this message does not: / must have required property 'temperature'.",
      );
      await showTab(alicePage, "Overview");
      await textbox(alicePage, "Schema").fill("");
      await button(alicePage, "Save schema").click();
      expect(await settledTransaction(alicePage)).to.match(/Set the schema of .*: confirmed/);
      expect(await reader.getStreamMetadata(streamId)).to.equal('{"unit":"kelvin"}');
    });

    it("says the subscription ended when the subscribe permission is revoked, and delivers nothing more", async function () {
      await showTab(alicePage, "Access");
      await textbox(alicePage, "Address").fill(bob);
      for (const name of ["Edit", "Delete", "Publish", "Grant"]) await permissionsPanel(alicePage).getByRole("checkbox", { name, exact: true }).uncheck();
      await permissionsPanel(alicePage).getByRole("checkbox", { name: "Subscribe", exact: true }).check();
      await button(alicePage, "Revoke").click();
      expect(await settledTransaction(alicePage)).to.match(/Revoke subscribe from 0x7099…79C8: confirmed/);
      const ended = bobPage.getByRole("alert").filter({ hasText: "The subscription ended" });
      await ended.waitFor();
      expect(await ended.innerText()).to.equal("The subscription ended: your subscribe permission on this stream was revoked.");
      await screenshot(bobPage, "live-ended");

      // Carol still subscribes: once she has the next message, Bob would have had it too.
      await showTab(alicePage, "Live");
      await publish(alicePage, "after the revocation");
      await liveMessages(carolPage).filter({ hasText: "after the revocation" }).waitFor();
      expect(await liveMessages(bobPage).count()).to.equal(2);
      expect(await button(bobPage, "Subscribe").isVisible()).to.equal(true);
    });
  });
});
