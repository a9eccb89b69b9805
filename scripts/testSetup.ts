// `npm run test:setup`: the system binaries the tests spawn (redis-server, Chromium). Installs the
// missing ones with apt-get where it may without asking (as root, or with sudo that needs no
// password); otherwise, and with `--check`, says in one line each what is missing and how to install it.
import { spawnSync } from "node:child_process";
import { aptPackageOf, findSystemBinaries, reportMissingBinaries, type SystemBinaryLookup, systemBinaryLabel } from "./systemBinaries";

/** The command prefix that runs apt-get as root without a prompt, or undefined where there is none. */
function aptRunner(): string[] | undefined {
  if (process.platform !== "linux" || spawnSync("apt-get", ["--version"], { stdio: "ignore" }).status !== 0) return undefined;
  if (process.getuid?.() === 0) return [];
  // -n: never prompt; a sudo that wants a password counts as none.
  return spawnSync("sudo", ["-n", "true"], { stdio: "ignore" }).status === 0 ? ["sudo", "-n"] : undefined;
}

function aptGet(runner: string[], args: string[]): boolean {
  const [command, ...rest] = [...runner, "apt-get", ...args];
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  return spawnSync(command, rest, { stdio: ["ignore", "inherit", "inherit"], env }).status === 0;
}

/** Installs what apt-get can provide (not what a KEYWAY_* variable misnames); the lookups afterwards. */
function install(lookups: SystemBinaryLookup[]): SystemBinaryLookup[] {
  const packages = lookups.flatMap((lookup) => (lookup.path === undefined && !lookup.fromVariable ? [aptPackageOf(lookup.name)] : []));
  const runner = packages.length > 0 ? aptRunner() : undefined;
  if (runner === undefined) return lookups;
  console.log(`Installing ${packages.join(" ")} with apt-get`);
  if (aptGet(runner, ["update", "-qq"])) aptGet(runner, ["install", "-y", "-qq", ...packages]);
  return findSystemBinaries(process.env);
}

function main(): void {
  const found = findSystemBinaries(process.env);
  const lookups = process.argv.includes("--check") ? found : install(found);
  for (const lookup of lookups) if (lookup.path !== undefined) console.log(`${systemBinaryLabel(lookup.name)}: ${lookup.path}`);
  if (!reportMissingBinaries(lookups)) process.exitCode = 1;
}

main();
