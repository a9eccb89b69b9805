import { expect } from "chai";
import type { Page } from "playwright-core";
import { stringToHex } from "viem";
import { StreamPermission } from "../../sdk";
import { closeAllClients, connect as tapRelay, type RawClient } from "../relay/fixtures";
import { messagesOf } from "../relay/helpers";
import { startAppStack, type AppStack } from "./harness";
import { button, openStream, showTab, textbox, until } from "./page";

const MARKER = "plaintext-marker-app-5c1e";
const ENCRYPTED = "Encrypted end to end: only Subscribe holders can read this stream; the relay carries ciphertext.";
const NOT_ENCRYPTED = "Not encrypted: anyone may subscribe to this stream, so its messages travel as plaintext.";

const liveMessages = (page: Page) => page.getByRole("log", { name: "Live messages" }).getByRole("listitem");
const encryptionNote = (page: Page) => page.getByRole("region", { name: /^Stream / }).getByRole("note");

/** What a wire tap must never hold: the marker as text, or as the hex a plain message's content is. */
function expectNoMarker(wire: string, marker: string): void {
  expect(wire).to.not.include(marker);
  expect(wire).to.not.include(stringToHex(marker).slice(2));
}

describe("the dApp on an encrypted stream (Chromium)", function () {
  this.timeout(300_000);
  let stack: AppStack;
  let streamId: string;
  let alicePage: Page;
  let bobPage: Page;
  let tap: RawClient;
  before(async function () {
    stack = await startAppStack();
    // Alice (#0) owns a private stream: Bob (#1) may subscribe, Carol (#2) may publish; the public holds nothing.
    const owner = stack.clientOf(0);
    streamId = (await owner.createStream("/private/readings")).id;
    const address = (index: number) => stack.accounts[index].account.address;
    await owner.grantPermissions(streamId, { userId: address(1), permissions: [StreamPermission.SUBSCRIBE] }, { userId: address(2), permissions: [StreamPermission.PUBLISH] });
  });

  after(async function () {
    for (const page of [alicePage, bobPage]) await page?.context().close().catch(() => undefined);
    await closeAllClients();
    await stack?.stop();
  });

  it("says the stream is encrypted, to its owner and to a reader", async function () {
    alicePage = await stack.openApp(0);
    await openStream(alicePage, streamId, "Live");
    expect(await encryptionNote(alicePage).innerText()).to.equal(ENCRYPTED);
    bobPage = await stack.openApp(1);
    await openStream(bobPage, streamId, "Live");
    expect(await encryptionNote(bobPage).innerText()).to.equal(ENCRYPTED);
  });

  it("publishes from one browser and shows the message decrypted, marked encrypted, in another; the relay carries ciphertext only", async function () {
    // A raw tap on the relay, signed in as a Subscribe holder (Alice): it gets exactly what the relay sends readers.
    tap = await tapRelay(stack.relay.url);
    await tap.signIn(stack.accounts[0]);
    await tap.request({ type: "subscribe", streamId });
    await button(bobPage, "Subscribe").click();
    await bobPage.getByRole("status").filter({ hasText: "Subscribed" }).waitFor();

    await textbox(alicePage, "Message").fill(JSON.stringify({ marker: MARKER }));
    await button(alicePage, "Publish").click();
    await alicePage.getByRole("status").filter({ hasText: "Published message #0" }).waitFor();

    const first = liveMessages(bobPage).first();
    await first.waitFor();
    expect(await first.innerText()).to.match(new RegExp(`^✓ verified encrypted #0 \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d from 0xf39f…2266\\n\\{"marker":"${MARKER}"\\}$`));
    expect(await first.getByText("encrypted", { exact: true }).getAttribute("title")).to.include("the relay carried only ciphertext");

    await until(async () => messagesOf(tap, streamId).length === 1, "the tap's copy of the message");
    const [frame] = messagesOf(tap, streamId);
    expect(frame.message.groupKeyId).to.be.a("string").and.not.equal("");
    expectNoMarker(JSON.stringify(tap.frames), MARKER);
  });

  it("says in words that a message could not be decrypted, and never shows it", async function () {
    // Carol publishes and goes away at once: nobody online holds her key, so Bob's page gets a DecryptionError (key-unavailable).
    const lost = "lost-marker-9d20";
    const carol = stack.clientOf(2);
    await carol.publish(streamId, { marker: lost });
    carol.destroy();
    const alert = bobPage.getByRole("alert").filter({ hasText: "could not be decrypted" });
    await alert.waitFor();
    expect(await alert.innerText()).to.equal(
      "A message could not be decrypted and was not shown: no key for it arrived (neither its publisher nor another reader holding the key answered; they may be offline).",
    );
    expect(await liveMessages(bobPage).count()).to.equal(1);
    expect(await bobPage.getByRole("log", { name: "Live messages" }).innerText()).to.not.include(lost);
    await until(async () => messagesOf(tap, streamId).length === 2, "the tap's copy of Carol's message");
    expectNoMarker(JSON.stringify(tap.frames), lost);
  });

  it("says the stream is no longer encrypted once the public may subscribe, as soon as the permissions reload", async function () {
    await showTab(alicePage, "Access");
    const permissionsPanel = alicePage.getByRole("region", { name: "Permissions" });
    await permissionsPanel.getByRole("checkbox", { name: "The public (anyone)" }).check();
    await permissionsPanel.getByRole("checkbox", { name: "Subscribe", exact: true }).check();
    await button(alicePage, "Grant").click();
    await encryptionNote(alicePage).filter({ hasText: NOT_ENCRYPTED }).waitFor();
    expect(await encryptionNote(alicePage).innerText()).to.equal(NOT_ENCRYPTED);

    await permissionsPanel.getByRole("checkbox", { name: "Subscribe", exact: true }).check();
    await button(alicePage, "Revoke").click();
    await encryptionNote(alicePage).filter({ hasText: ENCRYPTED }).waitFor();
  });
});
