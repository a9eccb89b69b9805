import { expect } from "chai";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { InvalidArgumentError, type Deployment } from "../../sdk";
import { readDeployment, writeDeployment } from "../../sdk/node";

describe("readDeployment / writeDeployment (sdk/node.ts)", () => {
  let dir: string;
  const deployment: Deployment = {
    network: "localhost",
    chainId: 31337,
    registryAddress: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
    deployBlock: 1,
    transactionHash: `0x${"ab".repeat(32)}`,
  };
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "keyway-deployments-"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("reads deployments/<network>.json", async () => {
    await writeFile(path.join(dir, "localhost.json"), JSON.stringify(deployment));
    expect(await readDeployment("localhost", dir)).to.deep.equal(deployment);
  });

  it("rejects a missing file, bad JSON, a file that is not a deployment and a path-like network name", async () => {
    await writeFile(path.join(dir, "broken.json"), "{");
    await writeFile(path.join(dir, "wrong.json"), JSON.stringify({ ...deployment, registryAddress: "0x12" }));
    for (const network of ["missing", "broken", "wrong", "../etc/passwd"]) {
      const error = await readDeployment(network, dir).catch((e: unknown) => e);
      expect(error, network).to.be.instanceOf(InvalidArgumentError);
    }
  });

  it("writeDeployment writes <dir>/<network>.json (creating dir) that readDeployment reads back", async () => {
    const nested = path.join(dir, "nested");
    const file = await writeDeployment({ ...deployment, network: "demo" }, nested);
    expect(file).to.equal(path.join(nested, "demo.json"));
    expect(await readDeployment("demo", nested)).to.deep.equal({ ...deployment, network: "demo" });
    const error = await writeDeployment({ ...deployment, network: "../escape" }, dir).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(InvalidArgumentError);
  });
});
