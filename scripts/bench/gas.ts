import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import hre from "hardhat";
import { encodeFunctionData, type Hash } from "viem";

/** Gas of each operation, next to Streamr's StreamRegistryV5 measured on Hardhat 2.29.1. */
const CASES = [
  { name: "createStream", reference: 193_346, target: 100_000 },
  { name: "grant one permission (new holder)", reference: 68_791, target: 55_000 },
  { name: "set all five (new holder)", reference: 134_677, target: 60_000 },
  { name: "revoke one permission", reference: 51_746, target: 40_000 },
  { name: "setPermissions x10 pub+sub", reference: 617_499, target: 300_000 },
  { name: "hasPermission as a transaction", reference: 33_996, target: 30_000 },
] as const;
type CaseName = (typeof CASES)[number]["name"];

const FOREVER = 2 ** 40 - 1;
const PUBLISH = 2;
const PUB_SUB = [0, 0, FOREVER, FOREVER, 0] as const;

async function measure(): Promise<Record<CaseName, number>> {
  const publicClient = await hre.viem.getPublicClient();
  const [owner, ...others] = await hre.viem.getWalletClients();
  const registry = await hre.viem.deployContract("StreamRegistry");
  const gasOf = async (hash: Hash) => Number((await publicClient.waitForTransactionReceipt({ hash })).gasUsed);
  const holders = others.slice(0, 12).map((w) => w.account.address);
  const streamId = `${owner.account.address.toLowerCase()}/sensors/temperature`;

  const create = await gasOf(await registry.write.createStream(["/sensors/temperature", '{"partitions":1}']));
  const grant = await gasOf(await registry.write.grantPermission([streamId, holders[0], PUBLISH]));
  const setAll = await gasOf(
    await registry.write.setPermissions([streamId, [holders[1]], [[FOREVER, FOREVER, FOREVER, FOREVER, FOREVER]]]),
  );
  // A holder that keeps other permissions: no storage refund flatters the figure.
  const revoke = await gasOf(await registry.write.revokePermission([streamId, holders[1], PUBLISH]));
  const batch = await gasOf(
    await registry.write.setPermissions([streamId, holders.slice(2, 12), holders.slice(2, 12).map(() => PUB_SUB)]),
  );
  const has = await gasOf(
    await owner.sendTransaction({
      to: registry.address,
      data: encodeFunctionData({
        abi: registry.abi,
        functionName: "hasPermission",
        args: [streamId, owner.account.address, PUBLISH],
      }),
    }),
  );
  return {
    createStream: create,
    "grant one permission (new holder)": grant,
    "set all five (new holder)": setAll,
    "revoke one permission": revoke,
    "setPermissions x10 pub+sub": batch,
    "hasPermission as a transaction": has,
  };
}

async function main(): Promise<void> {
  const measured = await measure();
  const rows = CASES.map((c) => ({
    operation: c.name,
    gas: measured[c.name],
    streamrV5: c.reference,
    ratio: Number((measured[c.name] / c.reference).toFixed(3)),
    target: c.target,
    met: measured[c.name] <= c.target,
  }));
  const pad = (s: string | number, n: number) => String(s).padStart(n);
  console.log(`${"operation".padEnd(34)}${pad("gas", 10)}${pad("Streamr V5", 12)}${pad("ratio", 8)}${pad("target", 10)}  met`);
  for (const r of rows) {
    console.log(
      `${r.operation.padEnd(34)}${pad(r.gas.toLocaleString("en-US"), 10)}${pad(r.streamrV5.toLocaleString("en-US"), 12)}` +
        `${pad(r.ratio.toFixed(2), 8)}${pad(r.target.toLocaleString("en-US"), 10)}  ${r.met ? "yes" : "NO"}`,
    );
  }
  const out = path.join(hre.config.paths.root, "bench-results", "gas.json");
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, JSON.stringify({ measuredAt: new Date().toISOString(), rows }, null, 2) + "\n");
  console.log(`\nwritten to ${path.relative(process.cwd(), out)}`);
  if (rows.some((r) => !r.met)) process.exitCode = 1;
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
