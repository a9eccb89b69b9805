// The system programs the tests and `bench:cluster` spawn (redis-server, Chromium): where to
// find them, and the one line that says how to install one that is missing.
import { accessSync, constants, statSync } from "node:fs";
import path from "node:path";

export type SystemBinaryName = "redis-server" | "chromium";

interface SystemBinary {
  /** How messages name it. */
  label: string;
  /** The environment variable that names its path, tried first. */
  variable: string;
  /** Command names looked up on PATH, in order. */
  commands: string[];
  /** Absolute paths tried after PATH: where packages put it when PATH does not say. */
  locations: string[];
  /** Why the tests need it. */
  neededBy: string;
  /** The Debian/Ubuntu package; `npm run test:setup` installs it with apt-get. */
  aptPackage: string;
  install: string;
}

const SYSTEM_BINARIES: Record<SystemBinaryName, SystemBinary> = {
  "redis-server": {
    label: "redis-server",
    variable: "KEYWAY_REDIS_SERVER",
    commands: ["redis-server"],
    // Homebrew's, for a shell whose PATH lacks them (Apple silicon, then Intel).
    locations: ["/opt/homebrew/bin/redis-server", "/usr/local/bin/redis-server"],
    neededBy: "the relay cluster tests and bench:cluster start Redis servers of their own",
    aptPackage: "redis-server",
    install: "sudo apt-get install redis-server (Debian/Ubuntu), brew install redis (macOS)",
  },
  chromium: {
    label: "Chromium or Chrome",
    variable: "KEYWAY_CHROMIUM",
    commands: ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"],
    locations: [
      "/usr/bin/chromium",
      "/usr/bin/chromium-browser",
      "/snap/bin/chromium",
      "/usr/bin/google-chrome",
      "/opt/google/chrome/chrome",
      "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
      "/Applications/Chromium.app/Contents/MacOS/Chromium",
    ],
    neededBy: "the dApp and browser SDK tests drive it headless through playwright-core, which downloads no browser",
    aptPackage: "chromium",
    install: "sudo apt-get install chromium (Debian/Ubuntu), Google Chrome or brew install --cask google-chrome (macOS)",
  },
};

const SYSTEM_BINARY_NAMES = Object.keys(SYSTEM_BINARIES) as SystemBinaryName[];

/** Where a binary was found, or why not. */
export type SystemBinaryLookup =
  | { name: SystemBinaryName; path: string }
  /** `fromVariable`: its variable names a path that is not there, which installing would not mend. */
  | { name: SystemBinaryName; path: undefined; reason: string; fromVariable: boolean };
type MissingBinary = SystemBinaryLookup & { path: undefined };

function isExecutableFile(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * Finds a system binary: its environment variable (which, when set, is the only answer, so that
 * a wrong path is reported rather than hidden by another copy), then PATH, then the usual locations.
 * @param env - the environment to read the variable and PATH from.
 * @param name - which binary.
 * @returns its path, or why none was found.
 * @example findSystemBinary(process.env, "redis-server") // { name: "redis-server", path: "/usr/bin/redis-server" }
 */
export function findSystemBinary(env: NodeJS.ProcessEnv, name: SystemBinaryName): SystemBinaryLookup {
  const binary = SYSTEM_BINARIES[name];
  const override = env[binary.variable];
  if (override) {
    return isExecutableFile(override) ? { name, path: override } : { name, path: undefined, reason: `${binary.variable}=${override} is not an executable file`, fromVariable: true };
  }
  const folders = (env.PATH ?? "").split(path.delimiter).filter(Boolean);
  const candidates = [...binary.commands.flatMap((command) => folders.map((folder) => path.join(folder, command))), ...binary.locations];
  const found = candidates.find(isExecutableFile);
  if (found !== undefined) return { name, path: found };
  const where = binary.locations.length > 0 ? "on PATH or in the usual locations" : "on PATH";
  return { name, path: undefined, reason: `not found (${binary.variable} unset, no ${binary.commands.join(", ")} ${where})`, fromVariable: false };
}

/** One line for a binary that was not found: what, why it is needed, how to install it. */
export function missingBinaryLine(lookup: MissingBinary): string {
  const binary = SYSTEM_BINARIES[lookup.name];
  return `${binary.label}: ${lookup.reason}; ${binary.neededBy}. Install: ${binary.install}; or set ${binary.variable} to its path.`;
}

/** Every system binary the tests need, looked up in `env`. */
export function findSystemBinaries(env: NodeJS.ProcessEnv): SystemBinaryLookup[] {
  return SYSTEM_BINARY_NAMES.map((name) => findSystemBinary(env, name));
}

/**
 * Writes one line to stderr for each binary not found, and nothing else: what stops a test run
 * before its first test (hardhat.config.ts) and `npm run test:setup`.
 * @returns whether every binary was found.
 */
export function reportMissingBinaries(lookups: SystemBinaryLookup[]): boolean {
  const missing = lookups.filter((lookup): lookup is MissingBinary => lookup.path === undefined);
  for (const lookup of missing) process.stderr.write(`${missingBinaryLine(lookup)}\n`);
  return missing.length === 0;
}

/** The label messages use for a binary ("Chromium or Chrome"). */
export function systemBinaryLabel(name: SystemBinaryName): string {
  return SYSTEM_BINARIES[name].label;
}

/** The Debian/Ubuntu package that provides a binary. */
export function aptPackageOf(name: SystemBinaryName): string {
  return SYSTEM_BINARIES[name].aptPackage;
}

/** Thrown by {@link systemBinary} when a binary is missing; its message is the one line to show. */
export class SystemBinaryNotFoundError extends Error {
  readonly code = "SYSTEM_BINARY_NOT_FOUND";
  constructor(readonly lookup: MissingBinary) {
    super(missingBinaryLine(lookup));
    this.name = "SystemBinaryNotFoundError";
  }
}

/**
 * The path of a system binary, for a test or script about to spawn it.
 * @param name - which binary.
 * @param env - where to look (default: this process's environment).
 * @returns its path.
 * @throws SystemBinaryNotFoundError (code `SYSTEM_BINARY_NOT_FOUND`) with the line that says how to install it.
 * @example spawn(systemBinary("redis-server"), ["--port", "6379"])
 */
export function systemBinary(name: SystemBinaryName, env: NodeJS.ProcessEnv = process.env): string {
  const lookup = findSystemBinary(env, name);
  if (lookup.path === undefined) throw new SystemBinaryNotFoundError(lookup);
  return lookup.path;
}
