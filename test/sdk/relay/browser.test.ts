import { expect } from "chai";
import { build } from "esbuild";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { type BrowserContext, chromium } from "playwright-core";
import { chromiumLaunchOptions } from "../../chromium";
import { KeywayClient, StreamPermission } from "../../../sdk";
import { type RelayOnChain, startRelayOnChain } from "../../relay/fixtures";
import { createTestStream, until } from "../../relay/helpers";


/** The SDK's browser entry bundled as a page script would load it, exposed as `window.Keyway`. */
async function browserBundle(): Promise<string> {
  const result = await build({
    entryPoints: [path.resolve(__dirname, "../../../sdk/index.ts")],
    bundle: true,
    platform: "browser",
    format: "iife",
    globalName: "Keyway",
    write: false,
    logLevel: "silent",
  });
  return result.outputFiles[0].text;
}

/** Serves a blank page and the bundle from 127.0.0.1 on a free port. */
async function servePage(bundle: string): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    if (request.url === "/keyway.js") {
      response.writeHead(200, { "content-type": "text/javascript" }).end(bundle);
    } else {
      response.writeHead(200, { "content-type": "text/html" }).end('<!doctype html><title>keyway</title><script src="/keyway.js"></script>');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/` };
}

describe("SDK relay client in the browser bundle, in headless Chromium", function () {
  let chain: RelayOnChain;
  let page: { server: Server; url: string };
  let userDataDir: string;
  let browser: BrowserContext;

  before(async function () {
    [chain, page, userDataDir] = await Promise.all([
      startRelayOnChain(),
      browserBundle().then(servePage),
      mkdtemp(path.join(tmpdir(), "keyway-chromium-")),
    ]);
    browser = await chromium.launchPersistentContext(userDataDir, chromiumLaunchOptions());
  });
  after(async function () {
    await browser?.close();
    await rm(userDataDir, { recursive: true, force: true });
    page?.server.close();
    await chain?.stop();
  });

  it("signs in with SIWE over the platform WebSocket, subscribes, and receives verified messages (JSON and bytes) in keyway-binary frames, and the relay-ended event", async function () {
    const owner = chain.clientOf(0);
    const streamId = await createTestStream(owner);
    const subscriber = chain.accounts[1];
    await owner.grantPermissions(streamId, { userId: subscriber.account.address.toLowerCase(), permissions: [StreamPermission.SUBSCRIBE] });

    const tab = await browser.newPage();
    const pageErrors: string[] = [];
    tab.on("pageerror", (error) => pageErrors.push(error.message));
    await tab.goto(page.url);
    const options = { rpcUrl: chain.rpcUrl, registryAddress: chain.registryAddress, privateKey: subscriber.privateKey, relayUrl: chain.url };
    await tab.evaluate(
      async ({ options, streamId }) => {
        const w = window as unknown as { Keyway: typeof import("../../../sdk"); received: unknown[]; events: string[]; frames: { protocol: string; binary: number; text: number } };
        w.received = [];
        w.events = [];
        // Counts what the relay sends each way, seen from the platform WebSocket the SDK opens.
        w.frames = { protocol: "", binary: 0, text: 0 };
        const Platform = WebSocket;
        window.WebSocket = class extends Platform {
          constructor(url: string | URL, protocols?: string | string[]) {
            super(url, protocols);
            this.addEventListener("open", () => (w.frames.protocol = this.protocol));
            this.addEventListener("message", ({ data }) => (typeof data === "string" ? w.frames.text++ : w.frames.binary++));
          }
        };
        const client = new w.Keyway.KeywayClient(options as never);
        const sub = await client.subscribe(streamId, (content, metadata) =>
          void w.received.push({ content: content instanceof Uint8Array ? [...content] : content, publisherId: metadata.publisherId }),);
        sub.on("unsubscribed", (reason) => void w.events.push(`unsubscribed ${reason}`));
        // Proof that this is the bundle's browser path: no Node `ws` here, the platform's WebSocket.
        w.events.push(`websocket ${typeof WebSocket}`);
      },
      { options, streamId },
    );

    // A private stream: encrypted; the page asks this publisher for the key (WebCrypto X25519 and AES-GCM in Chromium), so it stays online until then.
    const publisher = new KeywayClient({ rpcUrl: chain.rpcUrl, registryAddress: chain.registryAddress, privateKey: chain.accounts[0].privateKey, relayUrl: chain.url });
    const received = () => tab.evaluate(() => (window as unknown as { received: unknown[] }).received);
    try {
      expect((await publisher.publish(streamId, { hello: "browser" })).groupKeyId).to.be.a("string");
      await publisher.publish(streamId, new Uint8Array([1, 2, 3]));
      await until(async () => (await received()).length === 2, "two messages in the page");
    } finally {
      publisher.destroy();
    }
    expect(await received()).to.deep.equal([
      { content: { hello: "browser" }, publisherId: chain.accounts[0].account.address.toLowerCase() },
      { content: [1, 2, 3], publisherId: chain.accounts[0].account.address.toLowerCase() },
    ]);

    await owner.revokePermissions(streamId, { userId: subscriber.account.address.toLowerCase(), permissions: [StreamPermission.SUBSCRIBE] });
    const events = () => tab.evaluate(() => (window as unknown as { events: string[] }).events);
    await until(async () => (await events()).includes("unsubscribed PERMISSION_REVOKED"), "the unsubscribed event in the page");
    expect(await events()).to.deep.equal(["websocket function", "unsubscribed PERMISSION_REVOKED"]);
    // The SDK's default (relayEncoding "auto") took the relay's keyway-binary: every frame came binary, as ArrayBuffers it decoded.
    const frames = await tab.evaluate(() => (window as unknown as { frames: { protocol: string; binary: number; text: number } }).frames);
    expect(frames).to.deep.include({ protocol: "keyway-binary", text: 0 });
    expect(frames.binary).to.be.at.least(5);
    expect(pageErrors).to.deep.equal([]);
    await tab.close();
  });
});
