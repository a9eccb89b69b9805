import { expect } from "chai";
import type { Page } from "playwright-core";
import type { Address } from "viem";
import { KeywayClient, type MessageRejectedError, parseAccessGrant, StreamPermission, SUBSCRIBE_BIT, verifyAccessGrant, type MessageMetadata, type Subscription } from "../../sdk";
import { startAppStack, type AppStack } from "./harness";
import { button, openStream, screenshot, textbox, until } from "./page";

const region = (page: Page, name: string) => page.getByRole("region", { name });
const sessionPanel = (page: Page) => region(page, "Session key");
const grantsPanel = (page: Page) => region(page, "Access grants");
const liveMessages = (page: Page) => page.getByRole("log", { name: "Live messages" }).getByRole("listitem");

/** Publishes `text` from the page's Live panel; resolves with the page's confirmation once the relay acknowledged it (the box is cleared then). */
async function publish(page: Page, text: string): Promise<string> {
  await textbox(page, "Message").fill(text);
  await button(page, "Publish").click();
  await until(async () => (await textbox(page, "Message").inputValue()) === "", `the relay to acknowledge ${JSON.stringify(text)}`);
  return page.getByRole("status").filter({ hasText: "Published message #" }).innerText();
}

describe("session keys and access grants in the dApp (Chromium)", function () {
  this.timeout(300_000);
  let stack: AppStack;
  let address: (index: number) => Address;
  const pages: Page[] = [];

  /** A page of a fresh context with account `index`'s wallet; every signature the page asks it for is pushed to `signatures`. */
  async function openApp(index: number, signatures: string[] = []): Promise<Page> {
    const page = await stack.openApp(index, { onSignatureRequest: (method) => signatures.push(method) });
    pages.push(page);
    return page;
  }

  before(async function () {
    stack = await startAppStack();
    address = (index) => stack.accounts[index].account.address.toLowerCase() as Address;
  });

  after(async function () {
    for (const page of pages) await page.context().close().catch(() => undefined);
    await stack?.stop();
  });

  describe("a session key", function () {
    let owner: KeywayClient;
    let streamId: string;
    let page: Page;
    let subscriber: KeywayClient;
    let subscription: Subscription | undefined;
    const signatures: string[] = [];
    const received: { content: unknown; metadata: MessageMetadata }[] = [];

    before(async function () {
      owner = stack.clientOf(0);
      streamId = (await owner.createStream("/session")).id;
      await owner.grantPermissions(streamId, { userId: address(1), permissions: [StreamPermission.SUBSCRIBE] });
      subscriber = stack.clientOf(1);
      subscription = await subscriber.subscribe(streamId, (content, metadata) => {
        received.push({ content, metadata });
      });
      page = await openApp(0, signatures);
      await openStream(page, streamId, "Live");
    });

    after(async function () {
      await subscription?.unsubscribe().catch(() => undefined);
    });

    it("publishes many messages with exactly one wallet signature; the subscriber gets them all, in order, from the wallet's address", async function () {
      expect(signatures).to.deep.equal([]);
      const panel = sessionPanel(page);
      expect(await panel.getByRole("checkbox", { name: "Publish", exact: true }).isChecked()).to.equal(true);
      await panel.getByLabel("Duration").selectOption({ label: "1 hour" });
      await button(page, "Start session").click();
      const active = panel.getByRole("status").filter({ hasText: "Session active until" });
      await active.waitFor();
      expect(await active.innerText()).to.match(/^Session active until \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(Publish\): this page signs with a session key, with no wallet prompt\.$/);
      expect(signatures).to.deep.equal(["eth_signTypedData_v4"]);

      const count = 12;
      for (let i = 0; i < count; i++) {
        expect(await publish(page, JSON.stringify({ n: i }))).to.match(/^Published message #\d+ at .* through the session key\.$/);
      }
      await until(async () => received.length >= count, "the subscriber to receive every message");
      expect(received.map(({ content }) => content)).to.deep.equal(Array.from({ length: count }, (_, n) => ({ n })));
      expect(received.map(({ metadata }) => metadata.publisherId)).to.deep.equal(Array(count).fill(address(0)));
      expect(signatures, "one wallet signature for the session, none per message").to.deep.equal(["eth_signTypedData_v4"]);
      await screenshot(page, "session");
    });

    it("ends at the user's request: the next publish asks the wallet again", async function () {
      await button(page, "End session").click();
      await button(page, "Start session").waitFor();
      const before = received.length;
      expect(await publish(page, '"signed by the wallet"')).to.match(/^Published message #\d+ at [^a-z]*\.$/);
      // The wallet signs the message, and the page's sign-in to the relay as the account.
      expect([...signatures.slice(1)].sort()).to.deep.equal(["eth_signTypedData_v4", "personal_sign"]);
      await until(async () => received.length === before + 1, "the wallet-signed message");
      expect(received[before].content).to.equal("signed by the wallet");
    });

    it("says the session was refused once the holder loses Publish on chain, and nothing more is delivered", async function () {
      await button(page, "Start session").click();
      await sessionPanel(page).getByRole("status").filter({ hasText: "Session active until" }).waitFor();
      await owner.revokePermissions(streamId, { userId: address(0), permissions: [StreamPermission.PUBLISH] });
      const refused = sessionPanel(page).getByRole("alert");
      const delivered = received.length;
      const walletSignatures = signatures.length;
      // The relay learns of the revocation at its next registry poll: publish until it refuses.
      for (let i = 0; !(await refused.isVisible()); i++) {
        await textbox(page, "Message").fill(`after the revocation ${i}`);
        await button(page, "Publish").click();
        await until(async () => (await textbox(page, "Message").inputValue()) === "" || (await refused.isVisible()), "the relay's answer");
      }
      expect(await refused.innerText()).to.equal(
        "The session has ended: the relay refused it (it has expired, or your account no longer holds the permission on this stream).",
      );
      // Said once, by the session panel.
      expect(await page.getByRole("alert").count()).to.equal(1);
      await button(page, "Start session").waitFor();
      expect(signatures, "no wallet prompt after the session's signature").to.have.length(walletSignatures);
      const accepted = received.length - delivered;
      // Whatever the relay accepted before its poll was delivered; a marker from the owner's own key proves nothing else was.
      await owner.grantPermissions(streamId, { userId: address(0), permissions: [StreamPermission.PUBLISH] });
      // The subscriber validates by its own cache, which follows the chain at its own polls: a
      // marker it sees before its poll does is refused by it (no-permission), as it should be.
      await until(() => subscriber.hasPermission({ streamId, userId: address(0), permission: StreamPermission.PUBLISH, allowPublic: true }), "the subscriber to see Publish again");
      // Refused (and delivered to nobody) until the relay's next poll sees Publish again.
      await until(() => owner.publish(streamId, "marker").then(() => true, (error: unknown) => (error as MessageRejectedError).reason === "no-permission" ? false : Promise.reject(error)), "the relay to see Publish again");
      await until(async () => received.some(({ content }) => content === "marker"), "the marker");
      expect(received.length - delivered).to.equal(accepted + 1);
      expect(received.filter(({ content }) => typeof content === "string" && content.startsWith("after the revocation"))).to.have.length(accepted);
    });

    it("with Subscribe, watches the stream through the session too, with no further signature; the subscription ends with the session", async function () {
      const panel = sessionPanel(page);
      await panel.getByRole("checkbox", { name: "Subscribe", exact: true }).check();
      await button(page, "Start session").click();
      await panel.getByRole("status").filter({ hasText: "(Publish, Subscribe)" }).waitFor();
      const walletSignatures = signatures.length;
      await button(page, "Subscribe").click();
      await page.getByRole("status").filter({ hasText: "Subscribed through the session key" }).waitFor();
      await owner.publish(streamId, "seen through the session");
      await liveMessages(page).filter({ hasText: "seen through the session" }).waitFor();
      expect(await liveMessages(page).count()).to.equal(1);
      expect(signatures, "no wallet prompt to subscribe").to.have.length(walletSignatures);
      await button(page, "End session").click();
      await page.getByRole("alert").filter({ hasText: "The subscription ended with the session." }).waitFor();
      await panel.getByRole("checkbox", { name: "Subscribe", exact: true }).uncheck();
    });

    it("says when the session expires", async function () {
      await sessionPanel(page).getByLabel("Duration").selectOption({ label: "1 minute" });
      await button(page, "Start session").click();
      await sessionPanel(page).getByRole("status").filter({ hasText: "Session active until" }).waitFor();
      const expired = sessionPanel(page).getByRole("alert").filter({ hasText: "The session expired at" });
      await expired.waitFor({ timeout: 150_000 });
      expect(await expired.innerText()).to.match(/^The session expired at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d: start a new one to publish without wallet prompts\.$/);
      await button(page, "Start session").waitFor();
    });
  });

  describe("an access grant", function () {
    let owner: KeywayClient;
    let streamId: string;
    let grantJson: string;

    before(async function () {
      owner = stack.clientOf(0);
      streamId = (await owner.createStream("/granted")).id;
      // Account #1 holds Grant only: it issues grants but cannot subscribe itself. Account #2 holds nothing.
      await owner.grantPermissions(streamId, { userId: address(1), permissions: [StreamPermission.GRANT] });
    });

    it("is issued in the page by an account holding Grant, as JSON signed by it, with one wallet signature", async function () {
      const signatures: string[] = [];
      const issuerPage = await openApp(1, signatures);
      await openStream(issuerPage, streamId, "Access");
      const panel = grantsPanel(issuerPage);
      await textbox(issuerPage, "Grantee address").fill(stack.accounts[2].account.address);
      expect(await panel.getByRole("checkbox", { name: "Subscribe", exact: true }).isChecked()).to.equal(true);
      await panel.getByLabel("Duration").selectOption({ label: "1 hour" });
      const issuedAt = Math.floor(Date.now() / 1000);
      await button(issuerPage, "Issue grant").click();
      const shown = textbox(issuerPage, "Access grant (JSON)");
      await shown.waitFor();
      grantJson = await shown.inputValue();
      expect(signatures).to.deep.equal(["eth_signTypedData_v4"]);

      const grant = parseAccessGrant(JSON.parse(grantJson));
      expect(grant).to.include({ grantee: address(2), issuer: address(1), streamId, permissions: SUBSCRIBE_BIT });
      expect(grant.expiresAt).to.be.within(issuedAt + 3600 - 5, Math.floor(Date.now() / 1000) + 3600);
      expect(verifyAccessGrant(grant, { chainId: 31337, verifyingContract: stack.deployment.registryAddress })).to.equal(true);
      // One line of JSON, as `keyway grant issue` prints it.
      expect(grantJson).to.equal(JSON.stringify(grant));
      await screenshot(issuerPage, "grant-issued");
    });

    it("is not offered to an account without Grant", async function () {
      const page = await openApp(2);
      await openStream(page, streamId, "Access");
      await grantsPanel(page).getByText("Issuing access grants needs the Grant permission").waitFor();
      expect(await button(page, "Issue grant").count()).to.equal(0);
    });

    it("refuses a bad paste with a clear sentence, and sends nothing", async function () {
      const signatures: string[] = [];
      const page = await openApp(2, signatures);
      await openStream(page, streamId, "Live");
      const grant = JSON.parse(grantJson) as Record<string, unknown>;
      const pastes: [string, string][] = [
        ["{not json", "That is not a valid access grant: The text is not JSON."],
        [JSON.stringify({ ...grant, extra: 1 }), "That is not a valid access grant: Extra is not a field."],
        [JSON.stringify({ ...grant, permissions: 1 << 2 | 1 << 4 }), "That is not a valid access grant: Permissions must set the Publish and/or Subscribe bits (12) and no other."],
        [JSON.stringify({ ...grant, signature: String(grant.signature).toUpperCase().replace("0X", "0x") }), "That is not a valid access grant: Signature must be 0x and 65 bytes of lowercase hex."],
        [JSON.stringify({ ...grant, grantee: address(3) }), `This access grant is for ${address(3)}, not for your account ${address(2)}.`],
      ];
      for (const [paste, sentence] of pastes) {
        await textbox(page, "Access grant (optional)").fill(paste);
        await button(page, "Subscribe").click();
        const alert = page.getByRole("alert").filter({ hasText: sentence });
        await alert.waitFor();
        expect(await alert.innerText()).to.equal(sentence);
      }
      // A subscription signs in to the relay first: no signature asked, nothing sent.
      expect(signatures).to.deep.equal([]);
      expect(await page.getByRole("status").filter({ hasText: /Signing in|Subscribed/ }).count()).to.equal(0);
    });

    it("publishes with a pasted grant of Publish; a grant without Publish is refused before the wallet", async function () {
      const received: MessageMetadata[] = [];
      const watching = await owner.subscribe(streamId, (_, metadata) => {
        received.push(metadata);
      });
      try {
        const issuer = stack.clientOf(1);
        const expiresAt = new Date(Date.now() + 3_600_000);
        const publishGrant = await issuer.issueAccessGrant({ streamId, grantee: address(3), permissions: [StreamPermission.PUBLISH], expiresAt });
        const subscribeGrant = await issuer.issueAccessGrant({ streamId, grantee: address(3), permissions: [StreamPermission.SUBSCRIBE], expiresAt });
        const signatures: string[] = [];
        const page = await openApp(3, signatures);
        await openStream(page, streamId, "Live");

        await textbox(page, "Access grant (optional)").fill(JSON.stringify(subscribeGrant));
        await textbox(page, "Message").fill("not allowed by this grant");
        await button(page, "Publish").click();
        const refused = page.getByRole("alert").filter({ hasText: "This access grant does not allow publish" });
        await refused.waitFor();
        expect(await refused.innerText()).to.equal("This access grant does not allow publish: clear it to publish as yourself.");
        expect(signatures).to.deep.equal([]);

        await textbox(page, "Access grant (optional)").fill(JSON.stringify(publishGrant));
        expect(await publish(page, "with a grant")).to.match(/^Published message #\d+ at .* with the access grant\.$/);
        await until(async () => received.length === 1, "the granted message");
        expect(received[0].publisherId).to.equal(address(3));
      } finally {
        await watching.unsubscribe();
      }
    });

    it("lets a second account without Subscribe watch the stream live with it", async function () {
      const page = await openApp(2);
      await openStream(page, streamId, "Live");
      // Without the grant the relay refuses account #2.
      await button(page, "Subscribe").click();
      await page.getByRole("alert").filter({ hasText: "Not authorised" }).waitFor();

      await textbox(page, "Access grant (optional)").fill(grantJson);
      await button(page, "Subscribe").click();
      await page.getByRole("status").filter({ hasText: "Subscribed with the access grant" }).waitFor();
      for (const n of [1, 2, 3]) await owner.publish(streamId, { n });
      await until(async () => (await liveMessages(page).count()) === 3, "three live messages");
      const texts = await liveMessages(page).allInnerTexts();
      expect(texts.map((text) => text.split("\n")[1])).to.deep.equal(['{"n":1}', '{"n":2}', '{"n":3}']);
      expect(texts.every((text) => text.startsWith("✓ verified") && text.includes("from 0xf39f…2266"))).to.equal(true);
      await screenshot(page, "grant-subscribed");

      // Revoking the issuer's Grant ends the grant's subscription, and the page says why.
      await owner.revokePermissions(streamId, { userId: address(1), permissions: [StreamPermission.GRANT] });
      const ended = page.getByRole("alert").filter({ hasText: "The subscription ended" });
      await ended.waitFor();
      expect(await ended.innerText()).to.equal("The subscription ended: the access grant's issuer no longer holds Grant on this stream.");
      await button(page, "Subscribe").waitFor();
    });
  });
});
