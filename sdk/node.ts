/**
 * Node-only helpers (they read files). Not exported by `sdk/index.ts`, so browser bundles
 * stay free of Node built-ins: import them from `keyway/node`.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { isAddress } from "viem";
import type { Deployment } from "./deployment";
import { InvalidArgumentError } from "./errors";

/** Reads and checks `<dir>/<network>.json` as `writeDeployment` wrote it (dir defaults to ./deployments). */
export async function readDeployment(network: string, dir = path.resolve("deployments")): Promise<Deployment> {
  const file = deploymentFile(network, dir);
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    throw new InvalidArgumentError(`Cannot read deployment ${file}: ${(error as Error).message}`, { cause: error });
  }
  return checkDeployment(parsed, file);
}

/**
 * Reads `<dir>/<chainId>.json`, as `keyway deploy` writes it for the chain (dir defaults to
 * ./deployments), and checks that it is for that chain.
 */
export async function readDeploymentForChain(chainId: number, dir = path.resolve("deployments")): Promise<Deployment> {
  const deployment = await readDeployment(String(chainId), dir);
  if (deployment.chainId !== chainId) throw new InvalidArgumentError(`${deploymentFile(String(chainId), dir)} is for chain ${deployment.chainId}, not ${chainId}`);
  return deployment;
}

/** Writes `<dir>/<name>.json`, by default `<network of the deployment>.json` (dir defaults to ./deployments); returns its path. */
export async function writeDeployment(deployment: Deployment, dir = path.resolve("deployments"), name = deployment.network): Promise<string> {
  const file = deploymentFile(name, dir);
  await mkdir(dir, { recursive: true });
  await writeFile(file, JSON.stringify(deployment, null, 2) + "\n");
  return file;
}

function deploymentFile(network: string, dir: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(network)) throw new InvalidArgumentError(`Invalid network name ${JSON.stringify(network)}`);
  return path.join(dir, `${network}.json`);
}

function checkDeployment(value: unknown, file: string): Deployment {
  const d = value as Partial<Deployment> | null;
  const valid =
    d !== null &&
    typeof d === "object" &&
    typeof d.network === "string" &&
    Number.isSafeInteger(d.chainId) &&
    typeof d.registryAddress === "string" &&
    isAddress(d.registryAddress, { strict: false }) &&
    Number.isSafeInteger(d.deployBlock) &&
    typeof d.transactionHash === "string" &&
    /^0x[0-9a-fA-F]{64}$/.test(d.transactionHash);
  if (!valid) throw new InvalidArgumentError(`${file} is not a deployment: expected network, chainId, registryAddress, deployBlock, transactionHash`);
  return d as Deployment;
}
