import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { findFreePort } from "../../scripts/localNode";
import { cleanEnv, expectFailure, startTestChain, type TestChain, waitFor } from "./harness";

const ROOT = path.resolve(__dirname, "..", "..");

describe("keyway: options, errors and exit codes", function () {
  let chain: TestChain;
  let alice: TestChain["accounts"][number];
  let streamId: string;

  before(async function () {
    chain = await startTestChain();
    [alice] = chain.accounts;
    streamId = `${alice.account.address.toLowerCase()}/errors`;
    expect((await chain.keyway(["stream", "create", "/errors"], { signer: alice })).code).to.equal(0);
  });
  after(async function () {
    await chain?.stop();
  });

  async function rpc(method: string, params: unknown[] = []): Promise<unknown> {
    const response = await fetch(chain.node.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    });
    return ((await response.json()) as { result: unknown }).result;
  }

  const nonceOf = (address: string) => rpc("eth_getTransactionCount", [address, "latest"]);

  it("--help and --version exit 0; every command has help", async function () {
    const help = await chain.keyway(["--help"]);
    expect(help.code).to.equal(0);
    for (const name of ["stream", "permission", "message", "--rpc-url", "KEYWAY_RPC_URL", "--private-key", "KEYWAY_PRIVATE_KEY", "--registry", "KEYWAY_REGISTRY", "--json", "--verbose"]) {
      expect(help.stdout).to.include(name);
    }
    expect((await chain.keyway(["--version"])).stdout).to.equal("0.1.0\n");
    const grantHelp = await chain.keyway(["permission", "grant", "--help"]);
    expect(grantHelp.code).to.equal(0);
    expect(grantHelp.stdout).to.match(/--expires <time>.*30m, 12h, 7d/s);
  });

  it("usage errors exit 2 with one line", async function () {
    expectFailure(await chain.keyway(["stream", "rename"]), 2, /unknown command 'rename'/);
    expectFailure(await chain.keyway(["permission", "check", streamId]), 2, /missing required argument 'holder'/);
    expectFailure(await chain.keyway(["stream", "update", streamId], { signer: alice }), 2, /stream update needs --metadata <json>, --schema <file>, or both/);
    expectFailure(await chain.keyway(["permission", "list", streamId, "--colour"]), 2, /unknown option '--colour'/);
  });

  it("an --expires time that is not a real time (hour 24, minute 60, February 30): exit 2 with one line, nothing sent", async function () {
    const holder = chain.accounts[1].account.address;
    for (const expires of ["2099-12-31T24:00", "2099-12-31T23:60Z", "2099-02-30T10:00"]) {
      expectFailure(await chain.keyway(["permission", "grant", streamId, holder, "subscribe", "--expires", expires], { signer: alice }), 2, /Invalid expiry/);
    }
  });

  it("a node that cannot be reached: exit 6, one line naming the URL", async function () {
    const url = `http://127.0.0.1:${await findFreePort()}`;
    const read = await chain.keyway(["permission", "list", streamId], { env: { KEYWAY_RPC_URL: url } });
    expectFailure(read, 6, new RegExp(`cannot reach the node at ${url}: is it running\\? \\(npm start\\)`));
    const flag = await chain.keyway(["permission", "check", streamId, "public", "subscribe", "--rpc-url", url]);
    expectFailure(flag, 6, /cannot reach the node/);
    expectFailure(await chain.keyway(["stream", "create", "/x", "--rpc-url", url], { signer: alice }), 6, /cannot reach the node/);
  });

  it("a registry address without code (e.g. after a node restart): exit 7 and 'run npm start', for reads and writes", async function () {
    const eoa = chain.accounts[3].account.address;
    const env = { KEYWAY_REGISTRY: eoa };
    expectFailure(await chain.keyway(["permission", "list", streamId], { env }), 7, new RegExp(`no StreamRegistry at ${eoa} on ${chain.node.url} .*run npm start`));
    expectFailure(await chain.keyway(["permission", "check", streamId, "public", "subscribe"], { env }), 7, /no StreamRegistry/);
    expectFailure(await chain.keyway(["stream", "show", streamId], { env }), 7, /no StreamRegistry/);
    // A transaction to an address without code would "succeed" and do nothing: none may be sent.
    const nonceBefore = await nonceOf(alice.account.address);
    expectFailure(await chain.keyway(["stream", "create", "/ghost"], { signer: alice, env }), 7, /no StreamRegistry/);
    expectFailure(await chain.keyway(["permission", "grant", streamId, "public", "subscribe"], { signer: alice, env }), 7, /no StreamRegistry/);
    expect(await nonceOf(alice.account.address)).to.equal(nonceBefore);
  });

  it("no registry configured (no --registry, no deployments/localhost.json next to the CLI): exit 7", async function () {
    // The CLI looks for deployments/ next to its bundle's directory: run a copy that has none.
    const dir = mkdtempSync(path.join(tmpdir(), "keyway-cli-"));
    try {
      mkdirSync(path.join(dir, "dist"));
      copyFileSync(path.join(ROOT, "dist", "cli.js"), path.join(dir, "dist", "cli.js"));
      const result = spawnSync(process.execPath, [path.join(dir, "dist", "cli.js"), "permission", "list", streamId], {
        env: cleanEnv({ KEYWAY_RPC_URL: chain.node.url }),
        encoding: "utf8",
      });
      expectFailure(
        { code: result.status, stdout: result.stdout, stderr: result.stderr },
        7,
        /no registry address: pass --registry or set KEYWAY_REGISTRY, or run npm start/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a malformed registry address or private key: exit 2, and the key is never echoed", async function () {
    expectFailure(await chain.keyway(["permission", "list", streamId, "--registry", "0x1234"]), 2, /Invalid address: "0x1234"/);
    const secret = "0x" + "ab".repeat(31);
    const result = await chain.keyway(["stream", "create", "/x", "--private-key", secret, "--verbose"]);
    expect(result.code).to.equal(2);
    expect(result.stderr).to.match(/^keyway: invalid private key: expected 64 hex digits/);
    expect(result.stderr + result.stdout).not.to.include("ab".repeat(31));
  });

  it("a private key of 0 or not below the curve order n: exit 2, neither the key nor its value echoed", async function () {
    const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    for (const value of [0n, n, n + 1n, 2n ** 256n - 1n]) {
      const hex = value.toString(16).padStart(64, "0");
      for (const args of [["stream", "create", "/x"], ["message", "sign", streamId]]) {
        expectFailure(await chain.keyway([...args, "--private-key", hex], { input: "1\n" }), 2, /^keyway: invalid private key: expected 64 hex digits \(0x optional\) of a number from 1 to n-1/);
        const verbose = await chain.keyway([...args, "--private-key", hex, "--verbose"], { input: "1\n" });
        expect(verbose.code, verbose.stderr).to.equal(2);
        const output = verbose.stderr + verbose.stdout;
        expect(output).not.to.include(hex);
        if (value !== 0n) expect(output).not.to.include(value.toString(10)); // (a lone "0" is in any message)
      }
    }
  });

  it("a valid key is never printed, even with --verbose on a failure", async function () {
    const result = await chain.keyway(["permission", "grant", streamId, "public", "edit", "--verbose"], { signer: alice });
    expect(result.code).to.equal(2);
    expect(result.stderr + result.stdout).not.to.include(alice.privateKey.slice(2));
  });

  it("no stack trace without --verbose; with it, the stack and the causes", async function () {
    const env = { KEYWAY_RPC_URL: `http://127.0.0.1:${await findFreePort()}` };
    const quiet = await chain.keyway(["permission", "list", streamId], { env });
    expect(quiet.stderr.trimEnd().split("\n")).to.have.length(1);
    const verbose = await chain.keyway(["permission", "list", streamId, "--verbose"], { env });
    expect(verbose.code).to.equal(6);
    expect(verbose.stderr.split("\n")[0]).to.match(/^keyway: cannot reach the node/);
    expect(verbose.stderr).to.match(/\n\s+at /);
    expect(verbose.stderr).to.include("fetch failed");
  });

  it("a node that dies while a write waits to be mined: exit 6 within seconds, one line naming the node", async function () {
    // A node of its own: this test kills it.
    const doomed = await startTestChain();
    try {
      const [owner] = doomed.accounts;
      const call = (method: string, params: unknown[] = []) =>
        fetch(doomed.node.url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }) });
      await call("evm_setAutomine", [false]);
      let stderr = "";
      const pending = doomed.keyway(["stream", "create", "/never-mined"], { signer: owner, onStderr: (text) => (stderr = text) });
      // Kill the node once the CLI has the transaction's hash and waits for it (its notice says
      // so): the node may hold the transaction in its pool before the CLI has its answer, and a
      // node dying then is a failed send, another error.
      await waitFor(() => stderr.includes("waiting for it to be mined"), "the CLI to wait for its transaction");
      await doomed.stop();
      const killedAt = Date.now();
      const result = await pending;
      const seconds = (Date.now() - killedAt) / 1000;
      console.log(`      the CLI reported the dead node ${seconds.toFixed(1)} s after it was killed`);
      expect(result.code, result.stderr).to.equal(6);
      expect(result.stdout).to.equal("");
      const lines = result.stderr.trimEnd().split("\n").filter((line) => !/^keyway: sent 0x[0-9a-f]{64}, waiting for it to be mined\.\.\.$/.test(line));
      expect(lines, result.stderr).to.have.length(1);
      expect(lines[0]).to.match(new RegExp(`^keyway: the node at ${doomed.node.url} stopped answering while transaction 0x[0-9a-f]{64} waited to be mined`));
      // viem's own wait gives up after 180 s; "within seconds" with room for a loaded machine.
      expect(seconds).to.be.lessThan(60);
    } finally {
      await doomed.stop();
    }
  });

  it("says that it waits when a transaction is not mined at once (on stderr, stdout stays clean)", async function () {
    await rpc("evm_setAutomine", [false]);
    try {
      let stderr = "";
      const pending = chain.keyway(["stream", "update", streamId, "--metadata", '{"slow":true}'], { signer: alice, onStderr: (text) => (stderr = text) });
      // Mine only once the notice is out: however long a loaded machine takes to get there.
      await waitFor(() => stderr.includes("waiting for it to be mined"), "the waiting notice");
      await rpc("evm_mine");
      const result = await pending;
      expect(result.code, result.stderr).to.equal(0);
      expect(result.stderr).to.match(/^keyway: sent 0x[0-9a-f]{64}, waiting for it to be mined\.\.\.\n$/);
      expect(result.stdout).to.match(/^Updated the metadata of /);
    } finally {
      await rpc("evm_setAutomine", [true]);
    }
  });
});
