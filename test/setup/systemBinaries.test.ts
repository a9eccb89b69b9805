import { expect } from "chai";
import { execFile } from "node:child_process";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { cleanEnv } from "../cli/harness";

const ROOT = path.resolve(__dirname, "..", "..");

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node args` from the project's root with exactly `env`, as a fresh machine would. */
function run(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: ROOT, env, maxBuffer: 16 << 20 }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr }),
    );
  });
}

/** `npm run test:setup -- --check`: the lookup alone, nothing installed. */
const check = (env: NodeJS.ProcessEnv) => run(["-r", "ts-node/register/transpile-only", "scripts/testSetup.ts", "--check"], env);

const REDIS_LINE = /^redis-server: .*not found.*bench:cluster.*sudo apt-get install redis-server \(Debian\/Ubuntu\).*brew install redis \(macOS\)/;
const CHROMIUM_LINE = /^Chromium or Chrome: .*KEYWAY_CHROMIUM=.*nowhere.*sudo apt-get install chromium \(Debian\/Ubuntu\).*macOS/;

describe("system binaries the tests spawn (redis-server, Chromium): lookup and the one-line message", function () {
  this.timeout(120_000);
  let dir: string;
  let emptyPath: string;

  /** An executable shell script at `dir/name`, standing in for a real binary. */
  async function fakeBinary(name: string): Promise<string> {
    const file = path.join(dir, "fakes", name);
    await writeFile(file, "#!/bin/sh\nexit 0\n");
    await chmod(file, 0o755);
    return file;
  }

  before(async function () {
    dir = await mkdtemp(path.join(tmpdir(), "keyway-binaries-"));
    emptyPath = path.join(dir, "empty");
    await Promise.all([mkdir(emptyPath), mkdir(path.join(dir, "fakes"))]);
  });
  after(async function () {
    await rm(dir, { recursive: true, force: true });
  });

  it("finds both where they are installed, and exits 0", async function () {
    const result = await check(cleanEnv());
    expect(result.stderr).to.equal("");
    expect(result.code).to.equal(0);
    expect(result.stdout).to.match(/^redis-server: \/\S+/m).and.match(/^Chromium or Chrome: \/\S+/m);
  });

  it("without redis-server on PATH: one line (what, why, how to install), exit 1", async function () {
    const result = await check(cleanEnv({ PATH: emptyPath }));
    expect(result.code).to.equal(1);
    const lines = result.stderr.trimEnd().split("\n");
    expect(lines, result.stderr).to.have.length(1);
    expect(lines[0]).to.match(REDIS_LINE);
  });

  it("with KEYWAY_CHROMIUM pointing nowhere: one line saying so, exit 1 (the usual locations do not hide the mistake)", async function () {
    const result = await check(cleanEnv({ KEYWAY_CHROMIUM: path.join(dir, "nowhere") }));
    expect(result.code).to.equal(1);
    const lines = result.stderr.trimEnd().split("\n");
    expect(lines, result.stderr).to.have.length(1);
    expect(lines[0]).to.match(CHROMIUM_LINE);
  });

  it("with both missing: two lines, no stack trace, exit 1", async function () {
    const result = await check(cleanEnv({ PATH: emptyPath, KEYWAY_CHROMIUM: path.join(dir, "nowhere") }));
    expect(result.code).to.equal(1);
    const lines = result.stderr.trimEnd().split("\n");
    expect(lines, result.stderr).to.have.length(2);
    expect(lines[0]).to.match(REDIS_LINE);
    expect(lines[1]).to.match(CHROMIUM_LINE);
    expect(result.stderr).not.to.match(/^\s+at /m);
  });

  it("KEYWAY_REDIS_SERVER and KEYWAY_CHROMIUM win over PATH and the usual locations", async function () {
    const [redis, chrome] = await Promise.all([fakeBinary("my-redis"), fakeBinary("my-chrome")]);
    const result = await check(cleanEnv({ KEYWAY_REDIS_SERVER: redis, KEYWAY_CHROMIUM: chrome }));
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stdout).to.include(`redis-server: ${redis}\n`).and.include(`Chromium or Chrome: ${chrome}\n`);
  });

  it("finds Chromium on PATH under its other names (google-chrome-stable), before the usual locations", async function () {
    const [redis, chrome] = await Promise.all([fakeBinary("redis-server"), fakeBinary("google-chrome-stable")]);
    const result = await check(cleanEnv({ PATH: `${emptyPath}${path.delimiter}${path.dirname(chrome)}` }));
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stdout).to.include(`redis-server: ${redis}\n`).and.include(`Chromium or Chrome: ${chrome}\n`);
  });

  it("`hardhat test` (the whole suite, as `npm test`) stops before the first test with the same lines and a non-zero exit", async function () {
    const nowhere = path.join(dir, "nowhere");
    // --grep matches no test: were the check to let the run through, it would still run nothing.
    const hardhat = path.join(ROOT, "node_modules", "hardhat", "internal", "cli", "bootstrap.js");
    const result = await run([hardhat, "test", "--no-compile", "--grep", "^no test is named this$"], cleanEnv({ KEYWAY_REDIS_SERVER: nowhere, KEYWAY_CHROMIUM: nowhere }));
    expect(result.code).to.equal(1);
    const lines = result.stderr.trimEnd().split("\n");
    expect(lines, result.stderr).to.have.length(2);
    expect(lines[0]).to.match(/^redis-server: KEYWAY_REDIS_SERVER=.*nowhere/);
    expect(lines[1]).to.match(CHROMIUM_LINE);
    expect(result.stdout).not.to.match(/passing|failing|pending/);
  });
});
