import { expect } from "chai";
import { readFile } from "node:fs/promises";
import hre from "hardhat";
import { ABI_MODULE_PATH, readArtifact, renderAbiModule } from "../../scripts/generate-abi";

describe("sdk/abi.ts", () => {
  it("matches the compiled StreamRegistry (run `npm run generate:abi` if not)", async function () {
    // Under `npm run coverage` the artifacts hold instrumented bytecode, which is not what ships.
    if (process.env.SOLIDITY_COVERAGE === "true") this.skip();
    await hre.run("compile", { quiet: true });
    const expected = renderAbiModule(await readArtifact());
    expect(await readFile(ABI_MODULE_PATH, "utf8")).to.equal(expected, "sdk/abi.ts is stale: run `npm run generate:abi`");
  });
});
