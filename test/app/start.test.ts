import { expect } from "chai";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";
import { findFreePort, isPortTaken } from "../../scripts/localNode";
import { LOCAL_DEPLOYMENT_FILE } from "../../scripts/start";
import { cleanEnv } from "../cli/harness";
import { chromiumLaunchOptions } from "../chromium";

const ROOT = path.resolve(__dirname, "..", "..");

describe("npm start serves the dApp (App: line)", function () {
  this.timeout(300_000);
  let savedDeployment: string | undefined;

  before(function () {
    // What `npm start` runs before scripts/start.ts.
    execFileSync("npm", ["run", "--silent", "build:app"], { cwd: ROOT, stdio: "inherit" });
    savedDeployment = existsSync(LOCAL_DEPLOYMENT_FILE) ? readFileSync(LOCAL_DEPLOYMENT_FILE, "utf8") : undefined;
  });

  after(function () {
    if (savedDeployment === undefined) rmSync(LOCAL_DEPLOYMENT_FILE, { force: true });
    else writeFileSync(LOCAL_DEPLOYMENT_FILE, savedDeployment);
  });

  it("prints the app's URL on 127.0.0.1, where a new user signs in with a development account, creates a stream and watches it live", async function () {
    const [port, relayPort, appPort] = [await findFreePort(), await findFreePort(), await findFreePort()];
    const args = ["-r", "ts-node/register/transpile-only", "scripts/start.ts", "--port", String(port), "--relay-port", String(relayPort)];
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: cleanEnv({ KEYWAY_APP_PORT: String(appPort) }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    let stderr = "";
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    const browser = await chromium.launch(chromiumLaunchOptions());
    try {
      const deadline = Date.now() + 120_000;
      while (!/Press Ctrl-C/.test(stdout) || !/^App: /m.test(stdout)) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no App line:\n${stdout}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const appUrl = /^App: (\S+)$/m.exec(stdout)![1];
      expect(appUrl).to.equal(`http://127.0.0.1:${appPort}/`);
      const config = (await (await fetch(new URL("keyway.json", appUrl))).json()) as Record<string, unknown>;
      expect(config).to.include({ chainId: 31337, rpcUrl: `http://127.0.0.1:${port}`, relayUrl: `ws://127.0.0.1:${relayPort}` });
      expect(stdout).to.include(`Registry:  ${config.registryAddress as string}`);
      expect(config.devAccounts).to.have.length(3);

      const page = await browser.newPage();
      await page.goto(appUrl);
      await page.getByRole("button", { name: "Use development account #0", exact: true }).click();
      const connected = page.getByText("Connected as");
      await connected.waitFor({ timeout: 60_000 });
      expect(await connected.innerText()).to.include("development key, local chain only");
      await page.getByText("None yet: create one above").waitFor({ timeout: 60_000 });

      await page.getByRole("textbox", { name: "Stream path", exact: true }).fill("/first");
      await page.getByRole("button", { name: "Create stream", exact: true }).click();
      await page.getByRole("tab", { name: "Live", exact: true }).click({ timeout: 60_000 });
      await page.getByRole("button", { name: "Subscribe", exact: true }).click({ timeout: 60_000 });
      await page.getByRole("status").filter({ hasText: "Subscribed" }).waitFor({ timeout: 60_000 });
      await page.getByRole("textbox", { name: "Message", exact: true }).fill("hello");
      await page.getByRole("button", { name: "Publish", exact: true }).click();
      const message = page.getByRole("log", { name: "Live messages" }).getByRole("listitem").first();
      await message.waitFor({ timeout: 60_000 });
      expect(await message.innerText()).to.match(/^✓ verified encrypted #0 .* from 0xf39f…2266\nhello$/); // a private stream: encrypted end to end
    } finally {
      await browser.close();
      child.kill("SIGINT");
      expect(await exited, stderr).to.equal(0);
    }
    expect(await isPortTaken(appPort)).to.equal(false);
    expect(await isPortTaken(port)).to.equal(false);
    expect(await isPortTaken(relayPort)).to.equal(false);
  });
});
