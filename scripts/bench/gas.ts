import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import hre from "hardhat";
import { encodeFunctionData, type Hash, type Hex } from "viem";
import { bySigCall, KeywayClient, type RegistryCall, signChange } from "../../sdk";

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

/** Most a signed change may cost above its direct twin once the signer's nonce word is in use (issue 21). */
const SIGNED_EXTRA_TARGET = 12_000;
/** A nonce in a word the signer has not used yet: its first use pays for a new storage slot. */
const FRESH_WORD_NONCE = 7n << 8n;

interface SignedRow {
  operation: string;
  direct: number;
  /** Nonce in a word already in use (the signer's later changes). */
  signed: number;
  /** Nonce opening a new word of the bitmap. */
  signedFirstInWord: number;
  extra: number;
  extraFirstInWord: number;
  met: boolean;
}

/**
 * Each write sent directly by its signer and as its `…BySig` twin by another account, from the
 * same state (an EVM snapshot restored between them): with a nonce whose word the signer already
 * used, and with the first nonce of a fresh word.
 */
async function measureSigned(): Promise<SignedRow[]> {
  const publicClient = await hre.viem.getPublicClient();
  const [owner, relayer, ...others] = await hre.viem.getWalletClients();
  const registry = await hre.viem.deployContract("StreamRegistry");
  const gasOf = async (hash: Hash) => Number((await publicClient.waitForTransactionReceipt({ hash })).gasUsed);
  const holders = others.slice(0, 12).map((w) => w.account.address);
  const streamId = `${owner.account.address.toLowerCase()}/sensors/temperature`;
  const otherId = `${owner.account.address.toLowerCase()}/sensors/humidity`;
  const pubSub = PUB_SUB;
  const all = [FOREVER, FOREVER, FOREVER, FOREVER, FOREVER] as const;

  // Signed as the SDK signs (an EOA's signature in its 64-byte form), valid for the default hour.
  const signer = new KeywayClient({ publicClient, walletClient: owner, registryAddress: registry.address, cache: false });
  const signed = async (call: RegistryCall, nonce: bigint) => bySigCall(await signChange(signer.context, { call, nonce }));
  const send = (from: typeof owner, call: { functionName: string; args: readonly unknown[] }) =>
    from.sendTransaction({ to: registry.address, data: encodeFunctionData({ abi: registry.abi, ...call } as Parameters<typeof encodeFunctionData>[0]) });
  const fromSnapshot = async (run: () => Promise<number>): Promise<number> => {
    const id = (await publicClient.request({ method: "evm_snapshot" as never })) as Hex;
    try {
      return await run();
    } finally {
      await publicClient.request({ method: "evm_revert" as never, params: [id] as never });
    }
  };

  await gasOf(await registry.write.createStream(["/sensors/temperature", '{"partitions":1}']));
  await gasOf(await registry.write.createStream(["/sensors/humidity", ""]));
  await gasOf(await registry.write.setPermissions([streamId, [holders[1]], [all]]));
  // The signer's nonce word 0 is in use from here on: what every later signed change finds.
  await gasOf(await send(relayer, await signed({ functionName: "updateStreamMetadata", args: [streamId, '{"partitions":1}'] }, 0n)));

  const cases: { operation: string; call: RegistryCall }[] = [
    { operation: "createStream", call: { functionName: "createStream", args: ["/sensors/pressure", '{"partitions":1}'] } },
    { operation: "updateStreamMetadata", call: { functionName: "updateStreamMetadata", args: [streamId, '{"partitions":2}'] } },
    { operation: "deleteStream", call: { functionName: "deleteStream", args: [streamId] } },
    { operation: "grant one permission (new holder)", call: { functionName: "grantPermission", args: [streamId, holders[0], PUBLISH] } },
    { operation: "revoke one permission", call: { functionName: "revokePermission", args: [streamId, holders[1], PUBLISH] } },
    { operation: "revokeAllPermissionsForUser", call: { functionName: "revokeAllPermissionsForUser", args: [streamId, holders[1]] } },
    { operation: "grantPermissions x2", call: { functionName: "grantPermissions", args: [streamId, holders.slice(2, 4), [pubSub, pubSub]] } },
    { operation: "revokePermissions x1", call: { functionName: "revokePermissions", args: [streamId, [holders[1]], [1 << PUBLISH]] } },
    { operation: "set all five (new holder)", call: { functionName: "setPermissions", args: [streamId, [holders[0]], [all]] } },
    {
      operation: "setPermissions x10 pub+sub",
      call: { functionName: "setPermissions", args: [streamId, holders.slice(2, 12), holders.slice(2, 12).map(() => pubSub)] },
    },
    {
      operation: "setPermissionsMultipleStreams 2x2",
      call: { functionName: "setPermissionsMultipleStreams", args: [[streamId, otherId], [holders.slice(2, 4), holders.slice(4, 6)], [[pubSub, pubSub], [pubSub, pubSub]]] },
    },
  ];
  const rows: SignedRow[] = [];
  for (const { operation, call } of cases) {
    const direct = await fromSnapshot(async () => gasOf(await send(owner, call)));
    const later = await fromSnapshot(async () => gasOf(await send(relayer, await signed(call, 1n))));
    const first = await fromSnapshot(async () => gasOf(await send(relayer, await signed(call, FRESH_WORD_NONCE))));
    rows.push({
      operation,
      direct,
      signed: later,
      signedFirstInWord: first,
      extra: later - direct,
      extraFirstInWord: first - direct,
      met: later - direct <= SIGNED_EXTRA_TARGET,
    });
  }
  signer.destroy();
  return rows;
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
  const signedRows = await measureSigned();
  console.log(`\nsigned changes (…BySig, sent by another account) beside their direct twins; target: at most +${SIGNED_EXTRA_TARGET.toLocaleString("en-US")} gas`);
  console.log(`${"operation".padEnd(34)}${pad("direct", 10)}${pad("signed", 10)}${pad("extra", 9)}${pad("new word", 10)}${pad("extra", 9)}  met`);
  for (const r of signedRows) {
    console.log(
      `${r.operation.padEnd(34)}${pad(r.direct.toLocaleString("en-US"), 10)}${pad(r.signed.toLocaleString("en-US"), 10)}` +
        `${pad(`+${r.extra.toLocaleString("en-US")}`, 9)}${pad(r.signedFirstInWord.toLocaleString("en-US"), 10)}` +
        `${pad(`+${r.extraFirstInWord.toLocaleString("en-US")}`, 9)}  ${r.met ? "yes" : "NO"}`,
    );
  }
  const out = path.join(hre.config.paths.root, "bench-results", "gas.json");
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, JSON.stringify({ measuredAt: new Date().toISOString(), rows, signed: signedRows }, null, 2) + "\n");
  console.log(`\nwritten to ${path.relative(process.cwd(), out)}`);
  if ([...rows, ...signedRows].some((r) => !r.met)) process.exitCode = 1;
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
