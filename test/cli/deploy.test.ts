import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { type Address, createPublicClient, http } from "viem";
import {
  bySigCall,
  DETERMINISTIC_DEPLOYER,
  parseSignedChange,
  streamRegistryAbi,
  streamRegistryAddress,
} from "../../sdk";
import { devAccounts } from "../../scripts/devChain";
import { startLocalNode, type LocalNode } from "../../scripts/localNode";
import { buildCli, cleanEnv, expectFailure, parseJson, runKeyway } from "./harness";

type Deployed = { registryAddress: string; chainId: number; deployBlock: number; transactionHash: string; alreadyDeployed: boolean; file: string };

describe("keyway deploy: one address on every chain", function () {
  const [alice, bob] = devAccounts(2);
  let nodes: LocalNode[] = [];
  let dir: string;

  before(async function () {
    buildCli();
    // Two fresh development chains without the deployment proxy, with different chain ids.
    nodes = await Promise.all([startLocalNode(), startLocalNode({ chainId: 31338 })]);
    dir = await mkdtemp(path.join(tmpdir(), "keyway-deploy-"));
  });
  after(async function () {
    await Promise.all(nodes.map((node) => node.stop()));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const keyway = (node: LocalNode, args: string[], key = alice.privateKey, extra: Record<string, string> = {}) =>
    runKeyway(args, { env: cleanEnv({ KEYWAY_RPC_URL: node.url, KEYWAY_PRIVATE_KEY: key, ...extra }) });

  it("is the address the docs name: docs/deploy.md, and the registry of npm start in docs/cli.md", async function () {
    // A change to the contract (even to a comment: the metadata hash is in the bytecode) moves the address.
    const address = streamRegistryAddress();
    const docs = path.resolve(__dirname, "..", "..", "docs");
    expect(await readFile(path.join(docs, "deploy.md"), "utf8")).to.include(`\n${address}\n`);
    expect(await readFile(path.join(docs, "cli.md"), "utf8")).to.include(`Registry:  ${address} `);
  });

  it("deploys the registry at the same address on two chains (installing the proxy), writes deployments/<chainId>.json, and says so when it is there already", async function () {
    const deployed: Deployed[] = [];
    for (const node of nodes) {
      const result = await keyway(node, ["deploy", "--deployments-dir", dir, "--json"]);
      expect(result.code, result.stderr).to.equal(0);
      deployed.push(parseJson<Deployed>(result));
    }
    expect(deployed.map((d) => d.chainId)).to.deep.equal([31337, 31338]);
    expect(deployed.map((d) => d.registryAddress)).to.deep.equal([streamRegistryAddress(), streamRegistryAddress()]);
    expect(deployed.every((d) => !d.alreadyDeployed)).to.equal(true);
    const saved = JSON.parse(await readFile(path.join(dir, "31338.json"), "utf8")) as Deployed;
    expect(saved).to.include({ chainId: 31338, registryAddress: streamRegistryAddress(), transactionHash: deployed[1].transactionHash });

    for (const node of nodes) {
      const code = await createPublicClient({ transport: http(node.url) }).getCode({ address: DETERMINISTIC_DEPLOYER });
      expect(code?.length ?? 0).to.be.greaterThan(2);
    }

    const again = await keyway(nodes[0], ["deploy", "--deployments-dir", dir]);
    expect(again.code, again.stderr).to.equal(0);
    expect(again.stdout).to.match(new RegExp(`^StreamRegistry already deployed at ${streamRegistryAddress()} on chain 31337\n`));
    expect(again.stdout).to.include(`transaction: ${deployed[0].transactionHash}`);
    expect(again.stdout).to.include(`block:       ${deployed[0].deployBlock}`);
  });

  it("refuses on one chain a change signed for the other: the CLI before sending, the registry itself when sent anyway", async function () {
    const [first, second] = nodes;
    const registry = { KEYWAY_REGISTRY: streamRegistryAddress() };
    expect((await keyway(first, ["stream", "create", "/everywhere"], alice.privateKey, registry)).code).to.equal(0);
    expect((await keyway(second, ["stream", "create", "/everywhere"], alice.privateKey, registry)).code).to.equal(0);
    const streamId = `${alice.account.address.toLowerCase()}/everywhere`;

    const signed = await keyway(first, ["permission", "grant", streamId, bob.account.address, "publish", "--sign-only"], alice.privateKey, registry);
    expect(signed.code, signed.stderr).to.equal(0);
    const file = path.join(dir, "grant-31337.json");
    await writeFile(file, signed.stdout);

    expectFailure(await keyway(second, ["tx", "submit", file], bob.privateKey, registry), 14, /signed for the registry 0x[0-9a-fA-F]{40} on chain 31337, not .* on chain 31338/);

    // Straight to the registry, past the SDK's check: the domain's chain id differs, so the signature does not match.
    const change = parseSignedChange(signed.stdout);
    const client = createPublicClient({ transport: http(second.url) });
    const call = bySigCall(change) as { functionName: "grantPermissionsBySig"; args: never };
    const refused = await client
      .simulateContract({ address: streamRegistryAddress(), abi: streamRegistryAbi, ...call, account: bob.account.address as Address })
      .then(() => "accepted", (error: Error) => error.message);
    expect(refused).to.match(/InvalidSignature/);

    // The same file applies on the chain it was signed for.
    expect((await keyway(first, ["tx", "submit", file], bob.privateKey, registry)).code).to.equal(0);
    const held = (node: LocalNode) =>
      createPublicClient({ transport: http(node.url) }).readContract({
        address: streamRegistryAddress(),
        abi: streamRegistryAbi,
        functionName: "hasDirectPermission",
        args: [streamId, bob.account.address, 2],
      });
    expect([await held(first), await held(second)]).to.deep.equal([true, false]);
  });

  it("refuses without a key with one line and exit 5", async function () {
    expectFailure(await runKeyway(["deploy", "--deployments-dir", dir], { env: cleanEnv({ KEYWAY_RPC_URL: nodes[0].url }) }), 5, /private key/);
  });
});
