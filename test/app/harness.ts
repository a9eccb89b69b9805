import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { createRelay, type Relay } from "../../relay";
import { KeywayClient } from "../../sdk";
import type { Deployment } from "../../sdk/deployment";
import { localAppConfig, serveApp, type AppServer } from "../../scripts/appServer";
import { startLocalNode, type LocalNode } from "../../scripts/localNode";
import { deployLocalRegistry, devAccounts, type DevAccount, sponsorAccount } from "../../scripts/devChain";
import { chromiumLaunchOptions } from "../chromium";
import { installTestWallet, type TestWalletOptions } from "./wallet";

const ROOT = path.resolve(__dirname, "..", "..");

/** Everything the app's tests run against: a chain with the registry, the built app served, a browser. */
export interface AppStack {
  node: LocalNode;
  deployment: Deployment;
  /** Hardhat's first accounts: #0 deployed the registry. */
  accounts: DevAccount[];
  relay: Relay;
  server: AppServer;
  browser: Browser;
  /** The built app's files, in a temporary directory. */
  appDir: string;
  /** A fresh browser context (its own storage), with a wallet of `accounts[signer]` unless `signer` is undefined. */
  newContext(signer: number | undefined, wallet?: Partial<TestWalletOptions>): Promise<BrowserContext>;
  /** A page of a fresh context, on the app. */
  openApp(signer: number | undefined, wallet?: Partial<TestWalletOptions>): Promise<Page>;
  /** A Node client of `accounts[index]` through the relay (polling every 200 ms), destroyed by `stop()`. */
  clientOf(index: number): KeywayClient;
  stop(): Promise<void>;
}

/** Builds the app as `npm run build:app` does, into `outDir`. */
export async function buildApp(outDir: string): Promise<void> {
  const vite = path.join(ROOT, "node_modules", "vite", "bin", "vite.js");
  await promisify(execFile)(process.execPath, [vite, "build", "-c", "app/vite.config.mts", "--outDir", outDir, "--emptyOutDir"], {
    cwd: ROOT,
    env: { ...process.env, VITE_CJS_IGNORE_WARNING: "true" },
  });
}

/**
 * Sizes of the built app's JavaScript and CSS, raw and gzipped, in bytes: all of it, and what the
 * page loads at first (what index.html names); the rest are chunks loaded when needed (the JSON
 * Schema validator when a stream has a schema, viem's CCIP reader).
 */
export async function bundleSize(appDir: string): Promise<{ bytes: number; gzipped: number; initialGzipped: number }> {
  const assets = path.join(appDir, "assets");
  const files = (await readdir(assets)).filter((name) => /\.(js|css)$/.test(name));
  const contents = await Promise.all(files.map((name) => readFile(path.join(assets, name))));
  const gzipped = contents.map((c) => gzipSync(c, { level: 9 }).byteLength);
  const page = await readFile(path.join(appDir, "index.html"), "utf8");
  return {
    bytes: contents.reduce((sum, c) => sum + c.byteLength, 0),
    gzipped: gzipped.reduce((sum, size) => sum + size, 0),
    initialGzipped: gzipped.reduce((sum, size, index) => (page.includes(`assets/${files[index]}`) ? sum + size : sum), 0),
  };
}

/** Starts a node on a free port, deploys the registry, starts a relay, builds and serves the app, launches Chromium. */
export async function startAppStack(): Promise<AppStack> {
  const stoppers: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const stopOne of stoppers.reverse()) await stopOne().catch(() => undefined);
  };
  try {
    const appDir = await mkdtemp(path.join(os.tmpdir(), "keyway-app-"));
    stoppers.push(() => rm(appDir, { recursive: true, force: true }));
    const [node] = await Promise.all([startLocalNode(), buildApp(appDir)]);
    stoppers.push(() => node.stop());
    const deployment = await deployLocalRegistry(node.url);
    const accounts = devAccounts(4);
    // The relay polls the registry every 200 ms, so revocations reach pages quickly even here.
    // Sponsoring signed changes, as npm start's relay does.
    const relay = await createRelay({ rpcUrl: node.url, registryAddress: deployment.registryAddress, port: 0, pollingInterval: 200, sponsorKey: sponsorAccount().privateKey });
    stoppers.push(() => relay.close());
    const server = await serveApp({ config: localAppConfig(deployment, node.url, accounts.slice(0, 3), relay.url), root: appDir });
    stoppers.push(() => server.close());
    const browser = await chromium.launch(chromiumLaunchOptions());
    stoppers.push(() => browser.close());

    const newContext = async (signer: number | undefined, wallet: Partial<TestWalletOptions> = {}) => {
      // UTC, so the expiries a test types mean the same instants in Node and in the page.
      const context = await browser.newContext({ viewport: { width: 1320, height: 900 }, timezoneId: "UTC" });
      context.setDefaultTimeout(60_000);
      if (signer !== undefined) await installTestWallet(context, { privateKey: accounts[signer].privateKey, rpcUrl: node.url, ...wallet });
      return context;
    };
    const openApp = async (signer: number | undefined, wallet?: Partial<TestWalletOptions>) => {
      const page = await (await newContext(signer, wallet)).newPage();
      await page.goto(server.url);
      return page;
    };
    const clientOf = (index: number) => {
      const client = new KeywayClient({ rpcUrl: node.url, registryAddress: deployment.registryAddress, privateKey: accounts[index].privateKey, relayUrl: relay.url, pollingInterval: 200 });
      stoppers.push(async () => client.destroy());
      return client;
    };
    return { node, deployment, accounts, relay, server, browser, appDir, newContext, openApp, clientOf, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
