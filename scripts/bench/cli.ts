/**
 * `npm run bench:cli`: how long `keyway permission check` takes end to end, as a user sees it:
 * a whole process (node start-up, bundle load, RPC calls, output) against a local node.
 * Several runs, median and spread, next to a bare `node -e ""` for the floor. Also the
 * throughput of `message sign` / `message verify` on MESSAGES lines (whole process each).
 * Writes bench-results/cli.json. Run after `npm run build:cli` (the npm script does it).
 */
import { spawnSync } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import path from "node:path";
import { startLocalNode } from "../localNode";
import { deployLocalRegistry, devAccounts } from "../devChain";

const ROOT = path.resolve(__dirname, "..", "..");
const KEYWAY = path.join(ROOT, "bin", "keyway.js");
const RUNS = 21;
const MESSAGES = 2000;
/** The issue asks for "well under a second"; the median must stay below this. */
const TARGET_MEDIAN_MS = 500;

function run(args: string[], env: NodeJS.ProcessEnv, input = ""): { ms: number; stdout: string } {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { env, input, encoding: "utf8", maxBuffer: 1 << 28 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${args.join(" ")} exited ${result.status}: ${result.stderr}`);
  return { ms, stdout: result.stdout };
}

const timeRun = (args: string[], env: NodeJS.ProcessEnv) => run(args, env).ms;

function stats(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const round = (ms: number) => Math.round(ms * 10) / 10;
  return { median: round(at(0.5)), p10: round(at(0.1)), p90: round(at(0.9)), min: round(sorted[0]), max: round(sorted.at(-1)!) };
}

async function main(): Promise<void> {
  const node = await startLocalNode();
  try {
    const { registryAddress } = await deployLocalRegistry(node.url);
    const [owner, reader] = devAccounts(2);
    const env = { ...process.env, KEYWAY_RPC_URL: node.url, KEYWAY_REGISTRY: registryAddress };
    const streamId = `${owner.account.address.toLowerCase()}/bench`;
    timeRun([KEYWAY, "stream", "create", "/bench"], { ...env, KEYWAY_PRIVATE_KEY: owner.privateKey });
    timeRun([KEYWAY, "permission", "grant", streamId, reader.account.address, "subscribe"], { ...env, KEYWAY_PRIVATE_KEY: owner.privateKey });

    const check = [KEYWAY, "permission", "check", streamId, reader.account.address, "subscribe"];
    timeRun(check, env); // warm the OS file cache once, as a user's second command would find it
    const keyway = stats(Array.from({ length: RUNS }, () => timeRun(check, env)));
    const bareNode = stats(Array.from({ length: RUNS }, () => timeRun(["-e", ""], env)));

    const dataPoints = Array.from({ length: MESSAGES }, (_, i) => JSON.stringify({ n: i, temperature: 20 + (i % 10) / 10 })).join("\n");
    const signed = run([KEYWAY, "message", "sign", streamId], { ...env, KEYWAY_PRIVATE_KEY: owner.privateKey }, dataPoints);
    const verified = run([KEYWAY, "message", "verify", streamId], env, signed.stdout);
    const perSecond = (ms: number) => Math.round(MESSAGES / (ms / 1000));
    const messages = { lines: MESSAGES, signMs: Math.round(signed.ms), verifyMs: Math.round(verified.ms), signPerSecond: perSecond(signed.ms), verifyPerSecond: perSecond(verified.ms) };

    const result = {
      measuredAt: new Date().toISOString(),
      // Whole-process timings move with whatever else the machine runs: recorded to read them by.
      machine: { cpus: cpus().length, loadAverage1m: Number(loadavg()[0].toFixed(2)), node: process.version },
      command: "keyway permission check <id> <user> subscribe",
      runs: RUNS,
      unit: "ms, whole process",
      keyway,
      bareNode,
      targetMedianMs: TARGET_MEDIAN_MS,
      messages,
      met: keyway.median < TARGET_MEDIAN_MS,
    };
    console.log(`keyway permission check  median ${keyway.median} ms  (p10 ${keyway.p10}, p90 ${keyway.p90}, min ${keyway.min}, max ${keyway.max}; ${RUNS} runs)`);
    console.log(`node -e ""               median ${bareNode.median} ms  (p10 ${bareNode.p10}, p90 ${bareNode.p90})`);
    console.log(`target: median < ${TARGET_MEDIAN_MS} ms: ${result.met ? "met" : "MISSED"}`);
    console.log(`message sign   ${MESSAGES} lines: ${messages.signMs} ms whole process (${messages.signPerSecond}/s)`);
    console.log(`message verify ${MESSAGES} lines: ${messages.verifyMs} ms whole process (${messages.verifyPerSecond}/s)`);
    const out = path.join(ROOT, "bench-results", "cli.json");
    await mkdir(path.dirname(out), { recursive: true });
    await writeFile(out, JSON.stringify(result, null, 2) + "\n");
    console.log(`written to ${path.relative(process.cwd(), out)}`);
    if (!result.met) process.exitCode = 1;
  } finally {
    await node.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
