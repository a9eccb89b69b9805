import { expect } from "chai";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

const APP_SRC = path.resolve(__dirname, "..", "..", "app", "src");
/** What the dApp may import besides its own files: the SDK's public entry, viem, Preact, uPlot (the live chart). */
const ALLOWED = ["keyway", "viem", "viem/actions", "preact", "preact/hooks", "preact/compat", "uplot", "uplot/dist/uPlot.min.css"];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(path.join(dir, entry.name)) : /\.tsx?$/.test(entry.name) ? [path.join(dir, entry.name)] : [],
  );
}

describe("app/ imports", function () {
  it("uses the SDK only through its public entry, as any dApp does", function () {
    const outside = sourceFiles(APP_SRC).flatMap((file) =>
      [...readFileSync(file, "utf8").matchAll(/^import\s[^;]*?from\s+"([^"]+)"|^import\s+"([^"]+)"/gm)]
        .map((match) => match[1] ?? match[2])
        .filter((specifier) => !specifier.startsWith("./") && !specifier.startsWith("../") && !ALLOWED.includes(specifier))
        .map((specifier) => `${path.relative(APP_SRC, file)}: ${specifier}`),
    );
    expect(outside).to.deep.equal([]);
    // Relative imports stay inside app/src (no reaching into sdk/).
    const escaping = sourceFiles(APP_SRC).filter((file) =>
      [...readFileSync(file, "utf8").matchAll(/from\s+"(\.{1,2}\/[^"]+)"/g)].some(
        ([, specifier]) => !path.resolve(path.dirname(file), specifier).startsWith(APP_SRC + path.sep),
      ),
    );
    expect(escaping.map((file) => path.relative(APP_SRC, file))).to.deep.equal([]);
  });
});
